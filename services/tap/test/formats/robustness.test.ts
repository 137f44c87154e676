// No input makes split or map throw: every failure is a reason.
import { describe, expect, it } from 'vitest';
import { formats } from '../../src/ingest/formats/index.ts';
import { context } from './helpers.ts';

const nested: Record<string, unknown> = {};
let cursor = nested;
for (let i = 0; i < 200; i += 1) {
  const next: Record<string, unknown> = {};
  cursor.request = next;
  cursor = next;
}

const throwing = {
  get request(): unknown {
    throw new Error('getter exploded');
  },
};

const junkRecords: unknown[] = [
  undefined, null, 0, -1, NaN, Infinity, true, '', ' ', '\u0000', 'GET / HTTP/1.1', [], [[]], {}, { request: null },
  { request: [] }, { request: 'x', response: 5 }, { request: { method: 42, uri: {}, headers: 'nope' }, response: { status: [] } },
  { method: {}, path: [], response_code: {} }, { method: 'GET', path: '/', response_code: 200, start_time: { $date: 1 } },
  { method: 'GET', path: '/', response_code: 200, x_forwarded_for: [1, null, {}], downstream_remote_address: 7 },
  { request: { method: 'GET', uri: '/', headers: { host: ['a', 'b'], 'user-agent': { x: 1 } } }, response: { status: 200 }, tries: 'x', latencies: [] },
  { schema: 'api-request/v1', timestamp: 12, path: {}, gateway: 'kong' }, { specversion: '1.0', id: {}, source: [] },
  { specversion: '1.0', id: 'a', source: 'b', data: { method: 'GET', path: '/', status: 200 }, time: 99e99 },
  { msec: 'abc', uri: '/'.repeat(10_000), method: 'GET', status: '200', upstream_response_time: {} },
  Object.create(null) as unknown, nested, throwing, new Date(), /regex/, () => 1, Symbol('s'), 10n,
  { toJSON: () => { throw new Error('toJSON exploded'); } },
  { request: { method: 'GET', uri: '/', headers: {} }, response: { status: 200 }, started_at: '3000-01-01' },
];

const junkBodies: string[] = [
  '', ' ', '\n\n\n', 'null', 'true', '42', '"str"', '[', ']', '{', '{}', '[]', '[null, 1, "x", []]', '\u0000\u0001',
  '{"a":1}\n{"a":', 'a\nb\nc', '<xml/>', '[' + '['.repeat(5000), '{"a":'.repeat(2000), '\uFEFF{"a":1}',
  '1.2.3.4 - - [bad] "GET / HTTP/1.1" 200 1',
];

describe('never throws', () => {
  for (const [name, format] of Object.entries(formats)) {
    it(`${name}: map returns a result for every junk record`, () => {
      for (const record of junkRecords) {
        let result: unknown;
        expect(() => { result = format.map(record, context()); }).not.toThrow();
        expect(result).toHaveProperty('ok');
        if ((result as { ok: boolean }).ok === false) expect((result as { reason: string }).reason).toMatch(/\S/);
      }
    });

    it(`${name}: split returns a result for every junk body and content type`, () => {
      for (const body of junkBodies) {
        for (const contentType of [...format.contentTypes, '', 'text/html', 'application/cloudevents+json']) {
          let result: unknown;
          expect(() => { result = format.split(body, contentType); }).not.toThrow();
          expect(result).toHaveProperty('ok');
        }
      }
      expect(() => format.split(undefined as unknown as string, undefined as unknown as string)).not.toThrow();
      expect(format.split(undefined as unknown as string, 'x')).toMatchObject({ ok: false });
    });

    it(`${name}: whatever split returns, map handles`, () => {
      for (const body of junkBodies) {
        const split = format.split(body, format.contentTypes[0] ?? '');
        if (!split.ok) continue;
        for (const record of split.records) expect(() => format.map(record, context())).not.toThrow();
      }
    });
  }

  it('survives a context whose hmac or newId throws', () => {
    const ctx = context({
      hmac: () => { throw new Error('kms down'); },
      newId: () => { throw new Error('no ids'); },
    });
    const result = formats.kong.map({ request: { method: 'GET', uri: '/', headers: { apikey: 'k' } }, response: { status: 200 } }, ctx);
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^could not map record: (kms down|no ids)$/) });
  });
});
