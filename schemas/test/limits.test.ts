import { describe, expect, it } from 'vitest';
import { API_REQUEST_LIMITS, apiRequestV1Schema } from '../src/index.ts';

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
    const inSchema = limitsIn(apiRequestV1Schema as Node, '', new Map());
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
