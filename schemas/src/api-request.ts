// TypeScript view of schemas/events/api-request.v1.schema.json. The validator test keeps the two
// in step: every field here appears in a fixture that the schema accepts.

export const API_REQUEST_SCHEMA = 'api-request/v1' as const;

export type GatewayKind = 'kong' | 'envoy' | 'istio' | 'apisix' | 'nginx' | 'fastify' | 'generic' | 'cloudevents';

export interface LatencyMs {
  total?: number;
  upstream?: number;
  gateway?: number;
}

export interface ConsumerIdentity {
  id?: string;
  app_id?: string;
  subject?: string;
  org_id?: string;
  scopes?: string[];
  auth_method?: string;
  credential_hmac?: string;
}

export interface ApiRequestEvent {
  schema: typeof API_REQUEST_SCHEMA;
  event_id: string;
  /** UTC ISO 8601 with milliseconds, e.g. 2026-11-26T06:20:27.123Z */
  timestamp: string;
  gateway: { kind: GatewayKind; instance?: string };
  request_id?: string;
  api?: string;
  route?: string;
  method: string;
  path: string;
  path_template?: string;
  host?: string;
  status: number;
  request_bytes?: number;
  response_bytes?: number;
  latency_ms?: LatencyMs;
  upstream?: { service?: string; address?: string };
  client_ip?: string;
  forwarded_for?: string[];
  user_agent?: string;
  /** Name of the tap token whose request carried the event: stamped by the tap. */
  tap_token?: string;
  consumer?: ConsumerIdentity;
}

/**
 * The classes of HTTP status in api_requests.status_class, in order. Defined once here, the contract
 * between the enricher that writes the column and billing, pricing and the dashboards that read it.
 * A status outside 100–599 is stored as 'other' (OTHER_STATUS_CLASS) and is no class of these.
 */
export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
export const STATUS_CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];
export const OTHER_STATUS_CLASS = 'other';

export function isStatusClass(value: string): value is StatusClass {
  return (STATUS_CLASSES as readonly string[]).includes(value);
}
