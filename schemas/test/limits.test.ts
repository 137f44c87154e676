import { describe, expect, it } from 'vitest';
import { API_REQUEST_LIMITS, API_REQUEST_MAXIMA, apiRequestV1Schema, validateApiRequest } from '../src/index.ts';

interface Node {
  maxLength?: number;
  maxItems?: number;
  properties?: Record<string, Node>;
  items?: Node;
}

/** Every limit the schema states, as 'path keyword' → value. */
function limitsIn(node: Node, path: string, out: Map<string, number>): Map<string, number> {
  if (node.maxLength !== undefined) out.set(`${path} maxLength`, node.maxLength);
  if (node.maxItems !== undefined) out.set(`${path} maxItems`, node.maxItems);
  for (const [name, child] of Object.entries(node.properties ?? {})) limitsIn(child, path ? `${path}.${name}` : name, out);
  if (node.items) limitsIn(node.items, `${path}.[]`, out);
  return out;
}

describe('API_REQUEST_LIMITS', () => {
  it('holds every length and item limit of the api-request/v1 schema, with the schema\'s values', () => {
    const inSchema = limitsIn(apiRequestV1Schema, '', new Map());
    expect([...inSchema.values()].sort()).toEqual(Object.values(API_REQUEST_LIMITS).sort());
    expect(API_REQUEST_LIMITS).toMatchObject({
      eventId: inSchema.get('event_id maxLength'),
      requestId: inSchema.get('request_id maxLength'),
      path: inSchema.get('path maxLength'),
      pathTemplate: inSchema.get('path_template maxLength'),
      forwardedFor: inSchema.get('forwarded_for maxItems'),
      forwardedForEntry: inSchema.get('forwarded_for.[] maxLength'),
      scopes: inSchema.get('consumer.scopes maxItems'),
      scope: inSchema.get('consumer.scopes.[] maxLength'),
      authMethod: inSchema.get('consumer.auth_method maxLength'),
    });
  });
});

describe('API_REQUEST_MAXIMA', () => {
  interface NumberNode {
    type?: string | string[];
    maximum?: number;
    properties?: Record<string, NumberNode>;
    items?: NumberNode;
  }
  /** Every number of the schema as 'path' → its maximum (undefined when it has none). */
  function numbersIn(node: NumberNode, path: string, out: Map<string, number | undefined>): Map<string, number | undefined> {
    if (node.type === 'number' || node.type === 'integer') out.set(path, node.maximum);
    for (const [name, child] of Object.entries(node.properties ?? {})) numbersIn(child, path ? `${path}.${name}` : name, out);
    if (node.items) numbersIn(node.items, `${path}.[]`, out);
    return out;
  }

  it('every number of the schema has a maximum that fits its ClickHouse column (UInt16 status, UInt64 bytes read exactly, Float32 latency)', () => {
    expect(Object.fromEntries(numbersIn(apiRequestV1Schema as NumberNode, '', new Map()))).toEqual({
      status: 999,
      request_bytes: Number.MAX_SAFE_INTEGER,
      response_bytes: Number.MAX_SAFE_INTEGER,
      'latency_ms.total': API_REQUEST_MAXIMA.latencyMs,
      'latency_ms.upstream': API_REQUEST_MAXIMA.latencyMs,
      'latency_ms.gateway': API_REQUEST_MAXIMA.latencyMs,
    });
    expect(API_REQUEST_MAXIMA.status).toBeLessThanOrEqual(65_535);
    expect(API_REQUEST_MAXIMA.latencyMs).toBeLessThan(3.4e38);
  });

  it('the validator refuses 1e20 bytes, which a UInt64 would wrap', () => {
    const event = { schema: 'api-request/v1', event_id: 'e', timestamp: '2026-01-01T00:00:00.000Z', gateway: { kind: 'generic' }, method: 'GET', path: '/', status: 200 };
    expect(validateApiRequest({ ...event, request_bytes: 1e20 })).toEqual({ ok: false, reason: '/request_bytes must be <= 9007199254740991' });
    expect(validateApiRequest({ ...event, response_bytes: Number.MAX_SAFE_INTEGER })).toMatchObject({ ok: true });
  });
});
