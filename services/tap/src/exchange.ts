// What the in-process plugin records about one request/response exchange, as a flat tuple of
// primitives: cheap to build on the request path and cheap to pass to a worker thread (a tuple
// clones about five times faster than the nested event object). eventFromExchange turns it into
// the canonical event wherever the sink runs.
import { randomUUID } from 'node:crypto';
import type { ApiRequestEvent } from '@tollgate/schemas';

export type Exchange = [
  requestId: string | null,
  startedAtMs: number,
  method: string,
  url: string,
  routeTemplate: string | null,
  host: string | null,
  status: number,
  elapsedMs: number,
  requestBytes: number | null,
  responseBytes: number | null,
  clientIp: string | null,
  userAgent: string | null,
  api: string | null,
  gatewayInstance: string | null,
  consumerId: string | null,
  appId: string | null,
  subject: string | null,
  orgId: string | null,
  authMethod: string | null,
  /** Space-separated. */
  scopes: string | null,
];

const templates = new Map<string, string>();

/** fastify's '/orders/:id' → '/orders/{id}', remembered per route. */
function template(route: string): string {
  let t = templates.get(route);
  if (t === undefined) {
    t = route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    if (templates.size < 10_000) templates.set(route, t);
  }
  return t;
}

export function eventFromExchange(x: Exchange): ApiRequestEvent {
  const [requestId, startedAtMs, method, url, route, host, status, elapsedMs, requestBytes, responseBytes, clientIp, userAgent, api, instance, consumerId, appId, subject, orgId, authMethod, scopes] = x;
  const queryAt = url.indexOf('?');
  const event: ApiRequestEvent = {
    schema: 'api-request/v1',
    event_id: requestId ? `fastify:${requestId}` : randomUUID(),
    timestamp: new Date(startedAtMs).toISOString(),
    gateway: instance ? { kind: 'fastify', instance } : { kind: 'fastify' },
    method,
    path: queryAt === -1 ? url : url.slice(0, queryAt),
    status,
    latency_ms: { total: Math.round(elapsedMs * 1000) / 1000 },
  };
  if (clientIp) event.client_ip = clientIp;
  if (requestId) event.request_id = requestId;
  if (api) event.api = api;
  if (route) event.path_template = template(route);
  if (host) event.host = host;
  if (requestBytes !== null) event.request_bytes = requestBytes;
  if (responseBytes !== null) event.response_bytes = responseBytes;
  if (userAgent) event.user_agent = userAgent.slice(0, 1024);
  if (consumerId || appId || subject || orgId || authMethod) {
    event.consumer = {};
    if (consumerId) event.consumer.id = consumerId;
    if (appId) event.consumer.app_id = appId;
    if (subject) event.consumer.subject = subject;
    if (orgId) event.consumer.org_id = orgId;
    if (authMethod) event.consumer.auth_method = authMethod;
    if (scopes) event.consumer.scopes = scopes.split(' ');
  }
  return event;
}
