// Kong Gateway logging plugins (http-log; file-log, tcp-log, udp-log and syslog share the
// serializer, kong.log.serialize). http-log posts one JSON object per request, or a JSON array
// when max_batch_size > 1.
//
// Mapping:
//   event_id        kong:<request.id | x-kong-request-id header>  (Kong generates it per request)
//   timestamp       started_at (epoch ms)
//   gateway         kind kong, instance workspace_name | workspace | ctx.gatewayInstance
//   api / route     service.name (else service.host) / route.name (else route.id)
//   path_template   route.paths[0] when the route has exactly one path (a prefix or regex)
//   method, path    request.method, request.uri without the query (else request.url's path)
//   bytes           request.size / response.size
//   latency_ms      total = latencies.request, upstream = latencies.proxy, gateway = latencies.kong
//                   (Kong logs -1 when it did not measure one, e.g. proxy on a 401: omitted)
//   upstream        service = service.name | host, address = last entry of tries[] as ip:port
//   consumer        id = consumer.custom_id | username | id (custom_id is Kong's field for the
//                   caller's own user id, the billing key); credential_hmac = hmac(authenticated_entity.id)
//                   or of an API key / bearer token found in the headers or query; auth_method from
//                   the credential header (apikey → key-auth, Bearer → bearer, Basic → basic-auth),
//                   or oauth2 when authenticated_entity carries a client_id.
//   decision        response header x-tollgate-decision (Tollgate's answer, when a plugin asks
//                   /v1/authorize and passes its headers on); consumer.id falls back to the
//                   response header x-tollgate-consumer when Kong authenticated no consumer.
//                   Response headers only: a client can write request headers, and a decision
//                   other than allow makes a call unbillable.
// Kong ≥ 3.x logs the Authorization header as "REDACTED": the method is still recorded.
import { API_REQUEST_LIMITS as MAX, CONSUMER_HEADER, DECISION_HEADER, cutText, type ConsumerIdentity } from '@tollgate/schemas';
import {
  clientIp, count, credentialFrom, eventId, finish, forwardedFor, gatewayDecision, get, header, isObj, latency, method,
  required, safeMap, safeSplit, splitJsonDocument, splitTarget, recordTime, status, str,
} from './common.ts';
import type { Obj } from './common.ts';
import type { InputFormat, MapContext, MapResult } from './types.ts';

function mapKong(rec: Obj, ctx: MapContext): MapResult {
  const request = get(rec, 'request');
  const response = get(rec, 'response');
  if (!isObj(request)) return { ok: false, reason: 'request is missing (not a Kong log entry?)' };
  const requestHeaders = get(request, 'headers');
  const responseHeaders = get(response, 'headers');

  const target = splitTarget(get(request, 'uri')) ?? splitTarget(get(request, 'url'));
  const req = required({
    method: method(get(request, 'method')),
    path: target?.path,
    status: status(get(response, 'status')),
  });
  if (!req.ok) return req;

  const time = recordTime(get(rec, 'started_at'), 'started_at', ctx);
  if (!time.ok) return time;
  const ts = time.ts;
  const requestId =
    str(get(request, 'id')) ?? header(requestHeaders, 'x-kong-request-id') ?? header(responseHeaders, 'x-kong-request-id');

  const paths = get(rec, 'route', 'paths');
  const routePath = Array.isArray(paths) && paths.length === 1 ? str(paths[0], MAX.pathTemplate) : undefined;

  const tries = get(rec, 'tries');
  const lastTry: unknown = Array.isArray(tries) ? tries[tries.length - 1] : undefined;
  const tryIp = str(get(lastTry, 'ip'));
  const tryPort = str(get(lastTry, 'port'));

  return finish({
    event_id: eventId('kong', [requestId], ctx),
    timestamp: ts,
    gateway: { kind: 'kong', instance: str(get(rec, 'workspace_name'), MAX.gatewayInstance) ?? str(get(rec, 'workspace'), MAX.gatewayInstance) ?? ctx.gatewayInstance },
    request_id: requestId !== undefined && requestId.length <= MAX.requestId ? requestId : undefined,
    api: str(get(rec, 'service', 'name'), MAX.api) ?? str(get(rec, 'service', 'host'), MAX.api),
    route: str(get(rec, 'route', 'name'), MAX.route) ?? str(get(rec, 'route', 'id'), MAX.route),
    method: req.method,
    path: req.path,
    path_template: routePath,
    host: header(requestHeaders, 'host', MAX.host),
    status: req.status,
    request_bytes: count(get(request, 'size')),
    response_bytes: count(get(response, 'size')),
    latency_ms: {
      total: latency(get(rec, 'latencies', 'request')),
      upstream: latency(get(rec, 'latencies', 'proxy')),
      gateway: latency(get(rec, 'latencies', 'kong')),
    },
    upstream: {
      service: str(get(rec, 'service', 'name'), MAX.upstreamService) ?? str(get(rec, 'service', 'host'), MAX.upstreamService),
      address: tryIp !== undefined ? cutText(tryPort !== undefined ? `${tryIp}:${tryPort}` : tryIp, MAX.upstreamAddress) : undefined,
    },
    client_ip: clientIp(get(rec, 'client_ip')),
    forwarded_for: forwardedFor(header(requestHeaders, 'x-forwarded-for')),
    user_agent: header(requestHeaders, 'user-agent', MAX.userAgent),
    decision: gatewayDecision(header(responseHeaders, DECISION_HEADER)),
    consumer: kongConsumer(rec, requestHeaders, responseHeaders, get(request, 'querystring'), ctx),
  });
}

function kongConsumer(rec: Obj, headers: unknown, responseHeaders: unknown, query: unknown, ctx: MapContext): ConsumerIdentity {
  const consumer = get(rec, 'consumer');
  const entity = get(rec, 'authenticated_entity');
  const fromRequest = credentialFrom(headers, query, ctx);
  const identity: ConsumerIdentity = { ...fromRequest };
  const id = str(get(consumer, 'custom_id'), MAX.consumerId) ?? str(get(consumer, 'username'), MAX.consumerId) ?? str(get(consumer, 'id'), MAX.consumerId) ??
    header(responseHeaders, CONSUMER_HEADER, MAX.consumerId);
  if (id !== undefined) identity.id = id;
  // The credential Kong authenticated is a better identity than whatever the headers held.
  const credentialId = str(get(entity, 'id'));
  if (credentialId !== undefined) identity.credential_hmac = ctx.hmac(credentialId);
  const clientId = str(get(entity, 'client_id'), MAX.appId);
  if (clientId !== undefined) {
    identity.app_id = clientId;
    identity.auth_method = 'oauth2';
  }
  return identity;
}

export const kong: InputFormat = {
  name: 'kong',
  contentTypes: ['application/json'],
  split: safeSplit((body, _type, maxRecords) => splitJsonDocument(body, 'object-or-array', maxRecords)),
  map: safeMap(mapKong),
};
