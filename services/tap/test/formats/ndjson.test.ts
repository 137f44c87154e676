import { describe, expect, it } from 'vitest';
import { ndjson } from '../../src/formats/ndjson.ts';
import { events, fixture, mapFixture } from './helpers.ts';

describe('ndjson (canonical events)', () => {
  it('passes canonical events through, normalising the timestamp and dropping a path query', () => {
    const lines = fixture('ndjson/schema-test-events.ndjson').trim().split('\n').map((l) => JSON.parse(l) as unknown);
    const [full, minimal, offset] = events(mapFixture(ndjson, 'ndjson/schema-test-events.ndjson'));
    expect(full).toEqual(lines[0]);
    expect(minimal).toEqual(lines[1]);
    expect(offset).toEqual({
      schema: 'api-request/v1',
      event_id: 'e2',
      timestamp: '2026-11-26T06:20:27.000Z',
      gateway: { kind: 'fastify', instance: 'app-1' },
      method: 'GET',
      path: '/v1/search',
      status: 200,
    });
  });

  it('requires the schema field as is', () => {
    expect(ndjson.map({ event_id: 'e', timestamp: '2026-01-01T00:00:00Z', gateway: { kind: 'generic' }, method: 'GET', path: '/', status: 200 }, {
      receivedAt: new Date(), newId: () => 'x', hmac: (s) => s, secretQueryParams: new Set(),
    })).toEqual({ ok: false, reason: 'schema must be "api-request/v1", got nothing' });
  });
});
