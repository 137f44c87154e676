// What the in-process plugin records about one request/response exchange, as a flat tuple of
// primitives: cheap to build on the request path, and written field by field into the batch that
// crosses to the sink's worker (exchange-batch.ts), which writes each as the canonical
// event's Kafka record (exchange-record.ts).

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
  /** As fastify reports it; what is not an IP address is left out of the event. */
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

/** Each field's position in the Exchange tuple. */
export const FIELD = {
  requestId: 0,
  startedAtMs: 1,
  method: 2,
  url: 3,
  route: 4,
  host: 5,
  status: 6,
  elapsedMs: 7,
  requestBytes: 8,
  responseBytes: 9,
  clientIp: 10,
  userAgent: 11,
  api: 12,
  gatewayInstance: 13,
  consumerId: 14,
  appId: 15,
  subject: 16,
  orgId: 17,
  authMethod: 18,
  scopes: 19,
} as const;
export const EXCHANGE_LENGTH = 20;

const templates = new Map<string, string>();

/** fastify's '/orders/:id' → '/orders/{id}', remembered per route. */
export function template(route: string): string {
  let t = templates.get(route);
  if (t === undefined) {
    t = route.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    if (templates.size < 10_000) templates.set(route, t);
  }
  return t;
}

/** Event ids made from a request id: this prefix, then the id. */
export const EVENT_ID_PREFIX = 'fastify:';
