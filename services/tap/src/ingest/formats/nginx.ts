// NGINX access logs in a JSON log_format, one object per line. Paste this into the http block and
// add `access_log /var/log/nginx/tollgate.log tollgate;` (or ship it with any log forwarder):
//
//   log_format tollgate escape=json '{'
//     '"msec":"$msec",'
//     '"time":"$time_iso8601",'
//     '"request_id":"$request_id",'
//     '"remote_addr":"$remote_addr",'
//     '"remote_user":"$remote_user",'
//     '"x_forwarded_for":"$http_x_forwarded_for",'
//     '"method":"$request_method",'
//     '"uri":"$uri",'
//     '"status":"$status",'
//     '"request_length":"$request_length",'
//     '"bytes_sent":"$bytes_sent",'
//     '"request_time":"$request_time",'
//     '"upstream_response_time":"$upstream_response_time",'
//     '"upstream_addr":"$upstream_addr",'
//     '"host":"$host",'
//     '"server_name":"$server_name",'
//     '"user_agent":"$http_user_agent",'
//     '"tollgate_consumer":"$tollgate_consumer",'
//     '"tollgate_decision":"$tollgate_decision"'
//   '}';
//
// This log_format is the contract the shipped deploy/gateways/nginx/tollgate-log.conf copies.
// $tollgate_consumer and $tollgate_decision are set by `auth_request_set` from the
// x-tollgate-consumer / x-tollgate-decision headers of Tollgate's /v1/authorize answer
// (deploy/gateways/nginx/tollgate-enforce.conf). NGINX refuses a log_format naming a variable
// nothing declares: a server that does not ask Tollgate declares them empty
// (`set $tollgate_consumer ""; set $tollgate_decision "";`), or the two keys are left out.
//
// Every value is quoted: escape=json keeps them valid JSON, and unquoted numbers would break on
// "-" (no upstream). $uri carries no query string (so no credentials in the query reach the log);
// it is the URI after internal rewrites. $request_uri (original, with query) is accepted instead
// and its query is dropped.
//
// Mapping: event_id nginx:<$request_id> (nginx generates 32 random hex digits per request);
// timestamp $msec, else $time_iso8601, else $time_local; latency total = $request_time * 1000;
// upstream = the SUM of $upstream_response_time's entries * 1000 — nginx lists one time per
// upstream tried ("0.010, 0.002", and "0.010 : 0.002" across internal redirects), and the sum is
// the time spent waiting on upstreams; no gateway share is derived. upstream.address = last
// entry of $upstream_addr (the one that answered); request_bytes = $request_length; response_bytes
// = $bytes_sent (else $body_bytes_sent); api = $server_name unless "_"; consumer.id =
// $tollgate_consumer with auth_method tollgate (the consumer Tollgate decided for: an API key or
// the gateway's own auth, checked by Tollgate), else $remote_user with auth_method basic-auth;
// decision = $tollgate_decision (allow, quota, rate, not_entitled, suspended, blocked,
// unknown_consumer; empty or "-" is none; any other value rejects the line, so that a refusal is
// never billed by mistake). Aliases seen in common JSON formats (time_iso8601,
// @timestamp, request_method, http_user_agent, http_x_forwarded_for, body_bytes_sent, and a
// "$request" line) are accepted too.
import { API_REQUEST_LIMITS as MAX } from '@tollgate/schemas';
import {
  clientIp, count, eventId, finish, forwardedFor, gatewayDecision, latency, method, pick, required, safeMap,
  parseJsonLine, safeSplit, splitNdjson, splitTarget, recordTime, status, str,
} from './common.ts';
import type { Obj } from './common.ts';
import type { InputFormat, MapContext, MapResult } from './types.ts';

/** Sum of nginx's multi-upstream time list; undefined when no entry is a number. */
export function sumUpstreamTimes(value: unknown): number | undefined {
  if (typeof value === 'number') return value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  let total: number | undefined;
  for (const part of value.split(/[,:]/)) {
    const n = Number(part.trim());
    if (part.trim() !== '' && Number.isFinite(n) && n >= 0) total = (total ?? 0) + n;
  }
  return total;
}

function mapNginx(rec: Obj, ctx: MapContext): MapResult {
  // "$request" ("GET /path?x HTTP/1.1") as a fallback for method and target.
  const requestLine = str(pick(rec, 'request'))?.split(' ');
  const target = splitTarget(pick(rec, 'uri', 'request_uri', 'path')) ?? splitTarget(requestLine?.[1]);
  const req = required({
    method: method(pick(rec, 'method', 'request_method') ?? requestLine?.[0]),
    path: target?.path,
    status: status(pick(rec, 'status')),
  }, 'expected the documented tollgate nginx log_format');
  if (!req.ok) return req;

  const msec = pick(rec, 'msec');
  const time = msec !== undefined ? recordTime(msec, 'msec', ctx) : recordTime(pick(rec, 'time', 'time_iso8601', '@timestamp', 'time_local'), 'time', ctx);
  if (!time.ok) return time;
  const ts = time.ts;
  const requestId = str(pick(rec, 'request_id'));
  const upstreamSeconds = sumUpstreamTimes(pick(rec, 'upstream_response_time'));
  const upstreamAddr = str(pick(rec, 'upstream_addr'))?.split(/[,:]\s/).pop()?.trim();
  const tollgateConsumer = str(pick(rec, 'tollgate_consumer'), MAX.consumerId);
  const remoteUser = str(pick(rec, 'remote_user'), MAX.consumerId);
  const serverName = str(pick(rec, 'server_name'), MAX.api);

  return finish({
    event_id: eventId('nginx', [requestId], ctx),
    timestamp: ts,
    gateway: { kind: 'nginx', instance: str(pick(rec, 'hostname'), MAX.gatewayInstance) ?? ctx.gatewayInstance },
    request_id: requestId !== undefined && requestId.length <= MAX.requestId ? requestId : undefined,
    api: serverName === '_' ? undefined : serverName,
    method: req.method,
    path: req.path,
    host: str(pick(rec, 'host', 'http_host'), MAX.host),
    status: req.status,
    request_bytes: count(pick(rec, 'request_length')),
    response_bytes: count(pick(rec, 'bytes_sent', 'body_bytes_sent')),
    latency_ms: {
      total: latency(pick(rec, 'request_time'), 1000),
      upstream: upstreamSeconds === undefined ? undefined : latency(upstreamSeconds, 1000),
    },
    upstream: { address: str(upstreamAddr, MAX.upstreamAddress) },
    client_ip: clientIp(pick(rec, 'remote_addr', 'client_ip', 'clientip')),
    forwarded_for: forwardedFor(pick(rec, 'x_forwarded_for', 'http_x_forwarded_for')),
    user_agent: str(pick(rec, 'user_agent', 'http_user_agent'), MAX.userAgent),
    decision: gatewayDecision(pick(rec, 'tollgate_decision')),
    consumer: tollgateConsumer !== undefined
      ? { id: tollgateConsumer, auth_method: 'tollgate' }
      : remoteUser !== undefined ? { id: remoteUser, auth_method: 'basic-auth' } : undefined,
  });
}

export const nginx: InputFormat = {
  name: 'nginx',
  contentTypes: ['application/x-ndjson', 'application/json', 'text/plain'],
  split: safeSplit((body, _type, maxRecords) => splitNdjson(body, maxRecords)),
  map: safeMap(mapNginx),
  parseLine: parseJsonLine,
};
