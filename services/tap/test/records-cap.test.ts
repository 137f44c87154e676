// A body holding more records than TAP_MAX_RECORDS is refused with 413 before its records are
// mapped (NDJSON and text lines before they are parsed), and nothing of it reaches Kafka; a body
// within the cap counts its parsed records against the in-flight budget until it is answered.
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { EventSink, TextMessage } from '@tollgate/tap-delivery';
import { formats } from '../src/ingest/formats/index.ts';
import { recordingTapApp } from './app-harness.ts';

const harness = recordingTapApp({ maxRecords: 100 });
afterAll(() => harness.app.close());

const kongRecord = { request: { method: 'GET', uri: '/a' }, response: { status: 200 }, started_at: Date.parse('2026-01-01T00:00:00Z') };
const canonical = (i: number) => JSON.stringify({ schema: 'api-request/v1', event_id: `e-${i}`, timestamp: '2026-01-01T00:00:00.000Z', gateway: { kind: 'generic' }, method: 'GET', path: '/a', status: 200 });
const line = (i: number) => `203.0.113.9 - - [01/Jan/2026:00:00:00 +0000] "GET /a/${i} HTTP/1.1" 200 5 "-" "curl/8"`;
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('records per body (TAP_MAX_RECORDS)', () => {
  const bodies: Array<[name: string, format: string, contentType: string, body: (n: number) => string]> = [
    ['ndjson lines', 'ndjson', 'application/x-ndjson', (n) => times(n, canonical).join('\n')],
    ['empty objects as NDJSON', 'envoy', 'application/x-ndjson', (n) => '{}\n'.repeat(n)],
    ['a JSON array (kong)', 'kong', 'application/json', (n) => JSON.stringify(times(n, () => kongRecord))],
    ['NDJSON lines to a JSON-document format (apisix)', 'apisix', 'application/json', (n) => times(n, () => JSON.stringify(kongRecord)).join('\n')],
    ['a CloudEvents batch', 'cloudevents', 'application/cloudevents-batch+json', (n) => JSON.stringify(times(n, (i) => ({ specversion: '1.0', id: `${i}`, source: 's', data: { method: 'GET', path: '/a', status: 200 } })))],
    ['text lines (combined)', 'combined', 'text/plain', (n) => times(n, line).join('\n')],
  ];

  for (const [name, format, contentType, body] of bodies) {
    it(`${name}: one record over the cap → 413 too_many_records, nothing handed on to Kafka; at the cap → 202`, async () => {
      const before = harness.handed.length;
      const over = await harness.post(format, body(101), contentType);
      expect(over.statusCode).toBe(413);
      expect(over.json()).toEqual({ error: 'too_many_records', message: 'the body holds more than 100 records; send at most 100 per request (TAP_MAX_RECORDS)' });
      expect(harness.handed.length).toBe(before);
      const at = await harness.post(format, `${body(100)}\n\n`, contentType);
      expect(at.statusCode).toBe(202);
      const answer = at.json<{ accepted: number; rejected: number }>();
      expect(answer.accepted + answer.rejected).toBe(100);
    });
  }

  it('NDJSON and text bodies over the cap are refused before any line is parsed', () => {
    const parse = vi.spyOn(JSON, 'parse');
    try {
      expect(formats.ndjson.split('{}\n'.repeat(10_001), 'application/x-ndjson', 10_000)).toMatchObject({ ok: false, tooMany: true });
      expect(formats.nginx.split(`${'{}\r\n'.repeat(10_001)}  \n`, 'application/x-ndjson', 10_000)).toMatchObject({ ok: false, tooMany: true });
      expect(parse).not.toHaveBeenCalled();
    } finally {
      parse.mockRestore();
    }
    // Blank lines are not records.
    expect(formats.ndjson.split(`${'{}\n\n \n'.repeat(10_000)}`, 'application/x-ndjson', 10_000)).toMatchObject({ ok: true });
  });

  it('parsed records count against the in-flight budget while their request is worked on', async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let reached!: () => void;
    const inSink = new Promise<void>((resolve) => (reached = resolve));
    const held = { canAccept: true, isSpooling: false, spoolBytes: 0, accept: (_messages: TextMessage[]) => (reached(), gate) } as unknown as EventSink;
    // 600 records of ~190 bytes: ~110 KiB of body, ~600 KiB once parsed; the budget is 512 KiB.
    const tight = recordingTapApp({ sink: held, maxInflightBytes: 512 * 1024, bodyLimitBytes: 256 * 1024 });
    const first = tight.post('ndjson', times(600, canonical).join('\n'), 'application/x-ndjson');
    await inSink; // parsed, and held in the sink
    // Admitted, it would wait on the held sink: the answer is awaited for a second at most.
    const second = await Promise.race([tight.post('ndjson', canonical(1), 'application/x-ndjson'), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('admitted: no answer')), 1_000))]).finally(open);
    expect(second.statusCode).toBe(503);
    expect(second.json()).toMatchObject({ error: 'busy' });
    expect((await first).statusCode).toBe(202);
    expect((await tight.post('ndjson', canonical(2), 'application/x-ndjson')).statusCode).toBe(202);
    await tight.app.close();
  });
});
