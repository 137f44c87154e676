import { describe, expect, it } from 'vitest';
import { ndjson } from '../../src/ingest/formats/ndjson.ts';
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

  it('carries the decision field as is (verbatim), and rejects one that is no gateway decision', () => {
    const ctx = { receivedAt: new Date('2026-11-26T12:00:00.000Z'), newId: () => 'x', hmac: (s: string) => s, secretQueryParams: new Set<string>() };
    const refused = { schema: 'api-request/v1', event_id: 'e1', timestamp: '2026-11-26T06:20:27.123Z', gateway: { kind: 'generic' }, method: 'GET', path: '/v1/a', status: 429, decision: 'rate' };
    expect(ndjson.map(refused, ctx)).toEqual({ ok: true, event: refused, verbatim: true });
    expect(ndjson.map({ ...refused, decision: 'throttled' }, ctx)).toMatchObject({ ok: false, reason: expect.stringMatching(/^\/decision must be one of/) });
  });

  it('requires the schema field as is', () => {
    expect(ndjson.map({ event_id: 'e', timestamp: '2026-01-01T00:00:00Z', gateway: { kind: 'generic' }, method: 'GET', path: '/', status: 200 }, {
      receivedAt: new Date(), newId: () => 'x', hmac: (s) => s, secretQueryParams: new Set(),
    })).toEqual({ ok: false, reason: 'schema must be "api-request/v1", got nothing' });
  });

  it('marks an event verbatim only when nothing was normalised, so its line can stand for it in Kafka', () => {
    const ctx = { receivedAt: new Date(), newId: () => 'x', hmac: (s: string) => s, secretQueryParams: new Set<string>() };
    const base = { schema: 'api-request/v1', event_id: 'e1', timestamp: '2026-11-26T06:20:27.123Z', gateway: { kind: 'generic' }, method: 'GET', path: '/v1/a', status: 200 };
    const lines = [
      JSON.stringify(base),
      JSON.stringify({ ...base, timestamp: '2026-11-26T07:20:27.123+01:00' }),
      JSON.stringify({ ...base, path: '/v1/a?api_key=secret' }),
      JSON.stringify({ ...base, consumer: {} }),
      ` ${JSON.stringify({ ...base, path: '/v1/a#' })}`,
    ];
    const split = ndjson.split(lines.join('\r\n'), 'application/x-ndjson');
    if (!split.ok) throw new Error(split.reason);
    expect(split.texts).toEqual(lines);
    const mapped = split.records.map((record) => ndjson.map(record, ctx));
    expect(mapped.map((m) => m.ok && m.verbatim === true)).toEqual([true, false, false, false, false]);
    // Whatever the path taken, the event is the same normalised one.
    for (const m of mapped) expect(m.ok && m.event).toEqual(base);
  });
});
