// Apache APISIX http-logger with the default log format. The batch processor posts a JSON array
// (concat_method "json", the default) or newline-separated objects (concat_method "new_line");
// a single object is accepted too.
//
// Mapping:
//   event_id     apisix:<request.headers x-request-id>:<start ms>, else a fresh id. The id comes
//                from a request header (the request-id plugin only fills it in when absent), so a
//                client can repeat it; the start time keeps distinct requests apart while a
//                re-shipped entry keeps its id.
//   timestamp    start_time (epoch ms)
//   gateway      kind apisix, instance server.hostname | ctx.gatewayInstance
//   api / route  service_id / route_id (APISIX logs "" when the route has no service: omitted)
//   method, path request.method, request.uri without its query (APISIX logs the query in uri)
//   bytes        request.size / response.size
//   latency_ms   total = latency, upstream = upstream_latency, gateway = apisix_latency (all ms)
//   upstream     address = upstream ("ip:port"; on retries APISIX logs a comma list: the last)
//   consumer     id = consumer.username; credential_hmac / auth_method from the apikey header
//                (key-auth's default), Authorization, or a configured secret query parameter;
//                without consumer.username, the response header x-tollgate-consumer.
//   decision     response header x-tollgate-decision: forward-auth to Tollgate's /v1/authorize
//                with client_headers ["x-tollgate-decision", "x-tollgate-consumer"] puts them on
//                every refusal. Response headers only: a client can write request headers, and a
//                decision other than allow makes a call unbillable.
// A custom log_format replaces all of these fields; such entries lack request/response and are
// rejected with a reason saying so.
import { API_REQUEST_LIMITS as MAX, CONSUMER_HEADER, DECISION_HEADER } from '@tollgate/schemas';
import {
  clientIp, count, credentialFrom, epochMs, eventId, finish, forwardedFor, gatewayDecision, get, header, isObj, latency,
  method, required, safeMap, safeSplit, splitJsonDocument, splitTarget, recordTime, status, str,
} from './common.ts';
import type { Obj } from './common.ts';
import type { InputFormat, MapContext, MapResult } from './types.ts';

function mapApisix(rec: Obj, ctx: MapContext): MapResult {
  const request = get(rec, 'request');
  if (!isObj(request)) return { ok: false, reason: 'request is missing (not the APISIX default log format; a custom log_format is not supported)' };
  const headers = get(request, 'headers');
  const responseHeaders = get(rec, 'response', 'headers');
  const target = splitTarget(get(request, 'uri')) ?? splitTarget(get(request, 'url'));
  const req = required({
    method: method(get(request, 'method')),
    path: target?.path,
    status: status(get(rec, 'response', 'status')),
  });
  if (!req.ok) return req;

  const time = recordTime(get(rec, 'start_time'), 'start_time', ctx);
  if (!time.ok) return time;
  const ts = time.ts;
  const requestId = header(headers, 'x-request-id');
  const upstream = str(get(rec, 'upstream'));
  const lastUpstream = upstream?.split(',').pop()?.trim();

  return finish({
    event_id: eventId('apisix', [requestId, epochMs(ts)], ctx),
    timestamp: ts,
    gateway: { kind: 'apisix', instance: str(get(rec, 'server', 'hostname'), MAX.gatewayInstance) ?? ctx.gatewayInstance },
    request_id: requestId !== undefined && requestId.length <= MAX.requestId ? requestId : undefined,
    api: str(get(rec, 'service_id'), MAX.api),
    route: str(get(rec, 'route_id'), MAX.route),
    method: req.method,
    path: req.path,
    host: header(headers, 'host', MAX.host),
    status: req.status,
    request_bytes: count(get(request, 'size')),
    response_bytes: count(get(rec, 'response', 'size')),
    latency_ms: {
      total: latency(get(rec, 'latency')),
      upstream: latency(get(rec, 'upstream_latency')),
      gateway: latency(get(rec, 'apisix_latency')),
    },
    upstream: { address: str(lastUpstream, MAX.upstreamAddress) },
    client_ip: clientIp(get(rec, 'client_ip')),
    forwarded_for: forwardedFor(header(headers, 'x-forwarded-for')),
    user_agent: header(headers, 'user-agent', MAX.userAgent),
    decision: gatewayDecision(header(responseHeaders, DECISION_HEADER)),
    consumer: {
      ...credentialFrom(headers, get(request, 'querystring') ?? target?.query, ctx),
      id: str(get(rec, 'consumer', 'username'), MAX.consumerId) ?? header(responseHeaders, CONSUMER_HEADER, MAX.consumerId),
    },
  });
}

export const apisix: InputFormat = {
  name: 'apisix',
  contentTypes: ['application/json'],
  split: safeSplit((body, _type, maxRecords) => splitJsonDocument(body, 'object-or-array', maxRecords)),
  map: safeMap(mapApisix),
};
