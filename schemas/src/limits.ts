// The api-request/v1 schema's length limits, read from the JSON schema when this module loads:
// schemas/events/api-request.v1.schema.json is the one place they are written. Whatever makes an
// event (the tap's formats, the plugin's record writer) cuts its text to these, so that what it
// makes stays valid. A module of its own (`@tollgate/schemas/limits`): the plugin's worker takes
// the limits without loading the validator.
// A static import, so that a bundled service or worker carries the schema inside it.
import schema from '../events/api-request.v1.schema.json' with { type: 'json' };

interface SchemaNode {
  maxLength?: number;
  maxItems?: number;
  maximum?: number;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}

/** The limit at `path` ('consumer.id'; '[]' steps into an array's items); throws when the schema has none. */
function limit(path: string, keyword: 'maxLength' | 'maxItems' | 'maximum' = 'maxLength'): number {
  let node: SchemaNode | undefined = schema as SchemaNode;
  for (const step of path.split('.')) node = step === '[]' ? node?.items : node?.properties?.[step];
  const value = node?.[keyword];
  if (typeof value !== 'number') throw new Error(`api-request.v1.schema.json: ${path} has no ${keyword}`);
  return value;
}

/** Characters (UTF-16 code units, as JSON Schema counts them: maxLength), or items (maxItems). */
export const API_REQUEST_LIMITS = {
  eventId: limit('event_id'),
  gatewayInstance: limit('gateway.instance'),
  requestId: limit('request_id'),
  api: limit('api'),
  route: limit('route'),
  path: limit('path'),
  pathTemplate: limit('path_template'),
  host: limit('host'),
  upstreamService: limit('upstream.service'),
  upstreamAddress: limit('upstream.address'),
  forwardedFor: limit('forwarded_for', 'maxItems'),
  forwardedForEntry: limit('forwarded_for.[]'),
  userAgent: limit('user_agent'),
  tapToken: limit('tap_token'),
  consumerId: limit('consumer.id'),
  appId: limit('consumer.app_id'),
  subject: limit('consumer.subject'),
  orgId: limit('consumer.org_id'),
  scopes: limit('consumer.scopes', 'maxItems'),
  scope: limit('consumer.scopes.[]'),
  authMethod: limit('consumer.auth_method'),
  credentialHmac: limit('consumer.credential_hmac'),
} as const;

/**
 * The largest value of each number (JSON Schema maximum), chosen to fit its ClickHouse column:
 * what is beyond is refused, never wrapped (a UInt64 takes 1e20 modulo 2^64).
 */
export const API_REQUEST_MAXIMA = {
  status: limit('status', 'maximum'),
  requestBytes: limit('request_bytes', 'maximum'),
  responseBytes: limit('response_bytes', 'maximum'),
  latencyMs: limit('latency_ms.total', 'maximum'),
} as const;
