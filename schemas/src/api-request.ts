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

/**
 * Tollgate's decision for a call, as /v1/authorize answers it in x-tollgate-decision and the gateway
 * logs it. Defined once here: the contract between billing (which decides), the tap (which reads
 * it from gateway logs), the enricher (which stores it) and the readers of api_requests.decision.
 */
export const GATEWAY_DECISIONS = ['allow', 'quota', 'rate', 'not_entitled', 'suspended', 'blocked', 'unknown_consumer'] as const;
export type GatewayDecision = (typeof GATEWAY_DECISIONS)[number];
export const ALLOW_DECISION: GatewayDecision = 'allow';

/**
 * The headers of /v1/authorize's answer that carry the decision and the consumer it was made for:
 * gateways log them (NGINX through auth_request_set, Envoy through %RESP(…)%, Kong and APISIX in
 * the logged response headers) and the tap reads them back into `decision` and `consumer.id`.
 */
export const DECISION_HEADER = 'x-tollgate-decision';
export const CONSUMER_HEADER = 'x-tollgate-consumer';

export function isGatewayDecision(value: unknown): value is GatewayDecision {
  return typeof value === 'string' && (GATEWAY_DECISIONS as readonly string[]).includes(value);
}

/**
 * A call Tollgate's policy refused: it is stored and shown ("refused by policy") but never billed,
 * never counted against a quota and never counted as revenue lost. No decision (the gateway does
 * not ask Tollgate, or an event older than the field) is not a refusal.
 */
export function isRefusedByPolicy(decision: GatewayDecision | '' | undefined): boolean {
  return decision !== undefined && decision !== '' && decision !== ALLOW_DECISION;
}

/**
 * The same rule over api_requests.decision ('' when the event carried none), for the SQL readers
 * (rollup views in schemas/clickhouse/0007, the dashboards).
 */
export const REFUSED_BY_POLICY_SQL = "decision NOT IN ('', 'allow')";

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
  /** Tollgate's gateway decision, when the gateway logged it (see GATEWAY_DECISIONS). */
  decision?: GatewayDecision;
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
