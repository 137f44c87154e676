import { describe, expect, it } from 'vitest';
import { seededRandom } from '@tollgate/platform';
import { validateApiRequest } from '@tollgate/schemas';
import type { Exchange } from '../src/exchange.ts';
import { messageOf } from './helpers.ts';

const exchange = (overrides: Partial<Record<number, unknown>> = {}): Exchange => {
  const x: Exchange = ['rq-1', Date.UTC(2026, 10, 26, 12, 0, 0, 123), 'GET', '/orders/7?token=secret', '/orders/:id', 'shop.example.com', 200, 1.23456, 12, 345, '203.0.113.9', 'curl/8.5', 'shop', 'gw-1', 'c-1', 'app-1', 'user-1', 'org-1', 'key-auth', 'read write'];
  for (const [i, v] of Object.entries(overrides)) (x as unknown[])[Number(i)] = v;
  return x;
};

describe('an exchange as its event', () => {
  it('writes the canonical event of a fully described exchange, keyed by consumer', () => {
    const message = messageOf(exchange());
    expect(message.key).toBe('c-1');
    const event = JSON.parse(message.value);
    expect(validateApiRequest(event)).toEqual({ ok: true, event });
    expect(event).toEqual({
      schema: 'api-request/v1',
      event_id: 'fastify:rq-1',
      timestamp: '2026-11-26T12:00:00.123Z',
      gateway: { kind: 'fastify', instance: 'gw-1' },
      method: 'GET',
      path: '/orders/7', // the query (and its secrets) never leaves
      status: 200,
      latency_ms: { total: 1.235 },
      client_ip: '203.0.113.9',
      request_id: 'rq-1',
      api: 'shop',
      path_template: '/orders/{id}',
      host: 'shop.example.com',
      request_bytes: 12,
      response_bytes: 345,
      user_agent: 'curl/8.5',
      consumer: { id: 'c-1', app_id: 'app-1', subject: 'user-1', org_id: 'org-1', auth_method: 'key-auth', scopes: ['read', 'write'] },
    });
  });

  it('leaves out what the exchange does not know, and keys anonymous traffic by its event id', () => {
    const message = messageOf([null, 0, 'POST', '/x', null, null, 503, 0, null, null, null, null, null, null, null, null, null, null, null, null]);
    const event = JSON.parse(message.value);
    expect(validateApiRequest(event).ok).toBe(true);
    expect(Object.keys(event)).toEqual(['schema', 'event_id', 'timestamp', 'gateway', 'method', 'path', 'status', 'latency_ms']);
    expect(event.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(message.key).toBe(event.event_id);
    expect(messageOf(exchange({ 14: null })).key).toBe('rq-1');
  });

  it('cuts text longer than the schema allows, so the event stays valid; an over-long request id gets a generated event id', () => {
    const long = (n: number, c = 'x'): string => c.repeat(n);
    const message = messageOf(
      exchange({ 0: long(200, 'r'), 3: `/${long(20_000)}?q=1`, 4: `/${long(2_000)}`, 5: long(600, 'h'), 11: long(2_000, 'u'), 12: long(300), 13: long(300), 14: long(300, 'c'), 15: long(300), 16: long(300), 17: long(300), 18: long(100), 19: Array.from({ length: 100 }, (_, i) => `${long(300)}${i}`).join(' ') }),
    );
    const event = JSON.parse(message.value);
    expect(validateApiRequest(event)).toEqual({ ok: true, event });
    expect(event.path).toHaveLength(8192);
    expect(event.path_template).toHaveLength(1024);
    expect(event.request_id).toBe(long(128, 'r'));
    expect(event.event_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.consumer.scopes).toHaveLength(64);
    expect(message.key).toBe(long(300, 'c')); // the Kafka key is not the schema's: kept whole
    expect(JSON.parse(messageOf(exchange({ 0: long(120, 'r') })).value).event_id).toBe(`fastify:${long(120, 'r')}`);
  });

  it('keeps a client IP only when it is one (a forwarded-for header can say anything)', () => {
    const ipOf = (ip: string | null): unknown => (JSON.parse(messageOf(exchange({ 10: ip })).value) as { client_ip?: string }).client_ip;
    expect(ipOf('2001:db8::1')).toBe('2001:db8::1');
    expect(ipOf('198.51.100.4')).toBe('198.51.100.4');
    expect(ipOf('unknown')).toBeUndefined();
    expect(ipOf('198.51.100.4, 10.0.0.1')).toBeUndefined();
    expect(ipOf(null)).toBeUndefined();
  });

  it('escapes every string field: quotes, backslashes, control characters, non-ASCII; a lone surrogate becomes U+FFFD', () => {
    const random = seededRandom(7);
    const alphabet = ['a', 'Z', '/', ' ', '"', '\\', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '漢', '😀', '\ud800', '\udfff', '\u2028'];
    const text = (): string => Array.from({ length: 1 + Math.floor(random() * 12) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
    for (let i = 0; i < 2_000; i += 1) {
      const [requestId, url, host, agent, api, instance, consumer, subject] = [text(), `/${text()}`, text(), text(), text(), text(), text(), text()];
      const message = messageOf(exchange({ 0: requestId, 3: url, 5: host, 11: agent, 12: api, 13: instance, 14: consumer, 16: subject }));
      const event = JSON.parse(message.value);
      const queryAt = url.indexOf('?');
      // Every text well-formed: ClickHouse refuses the \udxxx a lone surrogate would travel as.
      const wf = (value: string): string => value.toWellFormed();
      expect(event).toMatchObject({
        event_id: `fastify:${wf(requestId)}`,
        request_id: wf(requestId),
        path: wf(queryAt === -1 ? url : url.slice(0, queryAt)),
        host: wf(host),
        user_agent: wf(agent),
        api: wf(api),
        gateway: { instance: wf(instance) },
        consumer: { id: wf(consumer), subject: wf(subject) },
      });
      expect(message.value).not.toMatch(/\\ud[89a-f]/i);
      // The key as Kafka keeps it: UTF-8, where a lone surrogate has no encoding but U+FFFD.
      expect(message.key).toBe(Buffer.from(consumer).toString('utf8'));
    }
  });

  it('formats timestamps exactly as Date#toISOString does, in any order and with fractions of a millisecond', () => {
    const random = seededRandom(11);
    const start = Date.UTC(2026, 10, 26, 23, 59, 58);
    const values = [0, 999.9, 1_000, start, start + 999.999, start + 1_000, start + 1_001, Date.UTC(2027, 0, 1) - 0.5, Date.UTC(2027, 0, 1)];
    for (let i = 0; i < 5_000; i += 1) values.push(start + Math.floor(random() * 5_000) + random(), start - 86_400_000 * random() * 400);
    const timestampOf = (ms: number): unknown => (JSON.parse(messageOf(exchange({ 1: ms })).value) as { timestamp: string }).timestamp;
    for (const ms of values) expect(timestampOf(ms)).toBe(new Date(ms).toISOString());
  });
});
