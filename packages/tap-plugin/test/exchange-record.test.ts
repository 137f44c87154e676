import { describe, expect, it } from 'vitest';
import { seededRandom } from '@tollgate/platform';
import { API_REQUEST_LIMITS as MAX, validateApiRequest } from '@tollgate/schemas';
import { messagesOf, partitionOf, RecordSetBuilder, type TextMessage } from '@tollgate/tap-delivery';
import { ExchangeBatchWriter } from '../src/exchange-batch.ts';
import { appendExchanges } from '../src/exchange-record.ts';
import type { Exchange } from '../src/exchange.ts';
import { messageOf } from './helpers.ts';
import { randomExchange } from './random-exchange.ts';

/** Every field but the request's own: id, start, URL and duration. */
const REPEATABLE = [2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19] as const;

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The event and key with a generated event id replaced by a placeholder: those differ from run to run. */
function comparable({ key, value }: TextMessage): unknown {
  const event = JSON.parse(value) as { event_id: string };
  if (!UUID_V4.test(event.event_id)) return { key, event };
  return { key: key === event.event_id ? '<generated>' : key, event: { ...event, event_id: '<generated>' } };
}

describe('exchange records', () => {
  it("a batch's events are the ones its exchanges make one at a time, each in its key's partition and in order", () => {
    const next = seededRandom(3);
    for (let round = 0; round < 20; round += 1) {
      const exchanges = Array.from({ length: 1 + Math.floor(next() * 200) }, (_, i) => randomExchange(next, round * 1_000 + i));
      for (const [i, exchange] of exchanges.entries()) {
        // Long runs of one consumer and one client, as real traffic has: what the writer remembers by position.
        if (i < 50) [exchange[14], exchange[10], exchange[4]] = ['c-7', '198.51.100.7', '/a/:b'];
        // Runs of exchanges the same as the previous one but for the request, or but for one more
        // field: the writer copies the parts of an event whose fields are all the same.
        if (i >= 50 && next() < 0.8) {
          const previous = exchanges[i - 1]!;
          for (const field of REPEATABLE) exchange[field] = previous[field] as never;
          if (next() < 0.4) {
            const field = REPEATABLE[Math.floor(next() * REPEATABLE.length)]!;
            exchange[field] = randomExchange(next, i)[field] as never;
          }
        }
        // A request id for every exchange, so that every key (and partition) is known beforehand.
        exchange[0] ||= `rq-${i}`;
      }
      // Several batches into one set, as the sink appends them.
      const writer = new ExchangeBatchWriter(64, 64 * 64);
      const records = new RecordSetBuilder(4);
      for (const exchange of exchanges) while (!writer.add(exchange)) appendExchanges(records, writer.take() ?? { count: 0, numbers: new Float64Array(0), text: new Uint16Array(0), textLength: 0 });
      appendExchanges(records, writer.take()!);
      const set = records.build();
      expect(set.count).toBe(exchanges.length);

      const alone = exchanges.map(messageOf);
      for (const [partition, own] of set.byPartition) {
        const written = messagesOf({ partitions: 4, count: own.count, byPartition: new Map([[partition, own]]) });
        expect(written.map(comparable)).toEqual(alone.filter((m) => partitionOf(m.key, m.value, 4) === partition).map(comparable));
      }
      for (const message of messagesOf(set)) expect(validateApiRequest(JSON.parse(message.value))).toMatchObject({ ok: true });
    }
  });

  it('prints numbers as JavaScript does: latency to the thousandth, byte counts whole', () => {
    const next = seededRandom(5);
    const values = [0, 0.0004, 0.0005, 0.001, 0.1, 0.25, 1, 1.2345, 999.9995, 12_345.678, 1e9 + 0.001, 3.5e12];
    for (let i = 0; i < 5_000; i += 1) values.push(next() * 10 ** Math.floor(next() * 8));
    for (const ms of values) {
      const exchange: Exchange = ['rq', 0, 'GET', '/', null, null, 200, ms, Math.round(ms), 7, null, null, null, null, null, null, null, null, null, null];
      const value = messageOf(exchange).value;
      expect(value).toContain(`"latency_ms":{"total":${String(Math.round(ms * 1000) / 1000)}}`);
      expect(value).toContain(`"request_bytes":${String(Math.round(ms))},`);
    }
  });

  it('gives an exchange without a usable request id a fresh random (version 4) event id, which keys it when nothing else does', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i += 1) {
      const message = messageOf([null, 0, 'GET', '/', null, null, 200, 1, null, null, null, null, null, null, null, null, null, null, null, null]);
      const { event_id: id } = JSON.parse(message.value) as { event_id: string };
      expect(id).toMatch(UUID_V4);
      expect(message.key).toBe(id);
      ids.add(id);
    }
    expect(ids.size).toBe(10_000);
  });

  it('cuts text to the schema limits on code-point boundaries and writes a lone surrogate as U+FFFD: every string well-formed', () => {
    const pair = '😀';
    const cutAt = (max: number) => 'a'.repeat(max - 1) + pair;
    const exchange: Exchange = [
      'rq-\ud83d', 0, 'GET', `/${'p'.repeat(MAX.path - 2)}${pair}?q=1`, `/r/${'t'.repeat(MAX.pathTemplate - 4)}${pair}`, cutAt(MAX.host), 200, 1, 1, 2,
      null, cutAt(MAX.userAgent), cutAt(MAX.api), cutAt(MAX.gatewayInstance),
      cutAt(MAX.consumerId), 'app \udc00', cutAt(MAX.subject), cutAt(MAX.orgId), cutAt(MAX.authMethod), `${cutAt(MAX.scope)} s\ud800`,
    ];
    const value = messageOf(exchange).value;
    expect(value).not.toMatch(/\\ud[89a-f]/i);
    const event = JSON.parse(value) as Record<string, unknown> & { consumer: Record<string, unknown> };
    const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : v !== null && typeof v === 'object' ? Object.values(v).flatMap(strings) : []);
    for (const text of strings(event)) expect(text.isWellFormed()).toBe(true);
    expect(validateApiRequest(event)).toMatchObject({ ok: true });
    const kept = (max: number) => 'a'.repeat(max - 1);
    expect(event.path).toBe(`/${'p'.repeat(MAX.path - 2)}`);
    expect(event.path_template).toBe(`/r/${'t'.repeat(MAX.pathTemplate - 4)}`);
    expect(event.user_agent).toBe(kept(MAX.userAgent));
    expect(event.host).toBe(kept(MAX.host));
    expect(event.api).toBe(kept(MAX.api));
    expect(event.gateway).toEqual({ kind: 'fastify', instance: kept(MAX.gatewayInstance) });
    expect(event.request_id).toBe('rq-\ufffd');
    expect(event.event_id).toBe('fastify:rq-\ufffd');
    expect(event.consumer).toEqual({
      id: kept(MAX.consumerId), app_id: 'app \ufffd', subject: kept(MAX.subject), org_id: kept(MAX.orgId), auth_method: kept(MAX.authMethod),
      scopes: [kept(MAX.scope), 's\ufffd'],
    });
  });
});
