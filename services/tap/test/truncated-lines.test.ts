// Access log lines cut short by their writer (syslog's message size, a shipper's line buffer) still
// make their event when what billing reads is whole; only a line missing such a field is rejected.
// The combined format is the tap's one text format: envoy and nginx take JSON lines, where a cut
// line is not JSON and is rejected by index.
import { afterAll, describe, expect, it } from 'vitest';
import { combined } from '../src/ingest/formats/combined.ts';
import { recordingTapApp } from './app-harness.ts';
import { context } from './formats/helpers.ts';

const AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0';
const FULL = `198.51.100.23 - alice [26/Nov/2026:10:15:32 +0000] "GET /v1/orders/8812?expand=items HTTP/1.1" 200 5120 "https://shop.example.com/checkout?step=2" "${AGENT}"`;

/** The line's first `bytes` bytes, as a writer with a byte limit leaves it. */
const cutAt = (line: string, bytes: number): string => Buffer.from(line).subarray(0, bytes).toString('latin1');

function map(line: string) {
  const split = combined.split(line, 'text/plain');
  if (!split.ok) throw new Error(split.reason);
  return combined.map(split.records[0], context());
}

const BILLED = {
  schema: 'api-request/v1',
  event_id: 'gen-1',
  timestamp: '2026-11-26T10:15:32.000Z',
  gateway: { kind: 'generic' },
  method: 'GET',
  path: '/v1/orders/8812',
  status: 200,
  response_bytes: 5120,
  client_ip: '198.51.100.23',
  consumer: { id: 'alice', auth_method: 'basic-auth' },
};

describe('combined lines cut short by their writer', () => {
  it('a whole line is not repaired', () => {
    expect(map(FULL)).toEqual({ ok: true, event: { ...BILLED, user_agent: AGENT } });
  });

  it('cut inside the user agent (no closing quote): the event keeps the agent as far as it goes', () => {
    const line = FULL.slice(0, FULL.indexOf('Chrome/'));
    expect(map(line)).toEqual({ ok: true, repaired: true, event: { ...BILLED, user_agent: AGENT.slice(0, AGENT.indexOf('Chrome/')).trim() } });
  });

  it('cut inside the referer, at its opening quote, or at the opening quote of the agent: the event without an agent', () => {
    for (const line of [FULL.slice(0, FULL.indexOf('checkout')), FULL.slice(0, FULL.indexOf('"https') + 1), FULL.slice(0, FULL.indexOf('"Mozilla') + 1)]) {
      expect(map(line), line).toEqual({ ok: true, repaired: true, event: BILLED });
    }
    // Cut just after the byte count or the referer's closing quote, the line reads as a whole
    // common-format line, or one that logs no agent.
    for (const line of [`${FULL.slice(0, FULL.indexOf(' "https'))} `, FULL.slice(0, FULL.indexOf(' "Mozilla'))]) {
      expect(map(line), line).toEqual({ ok: true, event: BILLED });
    }
  });

  it('cut inside an escape or inside the bytes of a character: that half is dropped', () => {
    const nginx = String.raw`203.0.113.9 - - [26/Nov/2026:10:15:33 +0000] "POST /v1/pay HTTP/2.0" 201 87 "-" "Bot \"quoted\" caf\xC3\xA9 \xE2\x82`;
    const result = map(nginx);
    expect(result).toMatchObject({ ok: true, repaired: true, event: { method: 'POST', path: '/v1/pay', status: 201, response_bytes: 87, user_agent: 'Bot "quoted" café' } });
    for (const tail of ['\\', '\\x', '\\xE']) {
      expect(map(String.raw`203.0.113.9 - - [26/Nov/2026:10:15:33 +0000] "GET / HTTP/1.1" 200 1 "-" "agent ` + tail)).toMatchObject({ ok: true, repaired: true, event: { user_agent: 'agent' } });
    }
  });

  it('a writer with a 1 KiB line limit (syslog) cutting a long agent: the event is whole but for the agent, well-formed', () => {
    const line = `${FULL.slice(0, FULL.lastIndexOf('"'))} ${'extension/1.0 (é) '.repeat(80)}"`;
    const cut = cutAt(line, 1024);
    const result = map(Buffer.from(cut, 'latin1').toString('utf8'));
    expect(result).toMatchObject({ ok: true, repaired: true, event: { ...BILLED } });
    if (!result.ok) throw new Error(result.reason);
    expect(result.event.user_agent!.startsWith(AGENT)).toBe(true);
    expect(result.event.user_agent!.isWellFormed()).toBe(true);
  });

  it('rejects a line cut before its status or inside its byte count is whole: billing needs them', () => {
    for (const line of [FULL.slice(0, FULL.indexOf(' HTTP/1.1')), FULL.slice(0, FULL.indexOf(' 200') + 3), FULL.slice(0, FULL.indexOf(' 200') + 4)]) {
      expect(map(line), line).toMatchObject({ ok: false, reason: expect.stringMatching(/not in the combined/) });
    }
  });

  it('counts repaired lines in tollgate_tap_lines_repaired_total by format', async () => {
    const harness = recordingTapApp();
    afterAll(() => harness.app.close());
    const body = [FULL, FULL.slice(0, FULL.indexOf('Chrome/')), FULL.slice(0, FULL.indexOf('checkout')), FULL.slice(0, FULL.indexOf(' HTTP/1.1'))].join('\n');
    const res = await harness.post('combined', body, 'text/plain');
    expect(res.json()).toMatchObject({ accepted: 3, rejected: 1, errors: [{ index: 3 }] });
    const metric = await harness.registry.getSingleMetric('tollgate_tap_lines_repaired_total')?.get();
    expect(metric?.values).toEqual([{ value: 2, labels: { format: 'combined' } }]);
  });
});
