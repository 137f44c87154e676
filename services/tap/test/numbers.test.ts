// Numbers beyond what their ClickHouse column holds are refused with the schema's bound as the
// reason, by index: a UInt64 would otherwise take 1e20 modulo 2^64 and bill a wrong byte count.
import { afterAll, describe, expect, it } from 'vitest';
import { recordingTapApp } from './app-harness.ts';

const harness = recordingTapApp();
afterAll(() => harness.app.close());

const TIME = '2026-01-05T10:00:00.000Z';
const canonical = (over: Record<string, unknown>) => ({ schema: 'api-request/v1', event_id: `e-${JSON.stringify(over)}`, timestamp: TIME, gateway: { kind: 'generic' }, method: 'GET', path: '/a', status: 200, ...over });

describe('numbers are bounded by their ClickHouse columns', () => {
  it('ndjson: 1e20 request or response bytes and a latency beyond the bound are rejected by index, with the reason', async () => {
    const body = [canonical({}), canonical({ request_bytes: 1e20 }), canonical({ response_bytes: 1e20 }), canonical({ response_bytes: Number.MAX_SAFE_INTEGER }), canonical({ latency_ms: { total: 1e12 } })]
      .map((e) => JSON.stringify(e)).join('\n');
    const res = await harness.post('ndjson', body, 'application/x-ndjson');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      accepted: 2,
      rejected: 3,
      errors: [
        { index: 1, reason: '/request_bytes must be <= 9007199254740991' },
        { index: 2, reason: '/response_bytes must be <= 9007199254740991' },
        { index: 4, reason: '/latency_ms/total must be <= 2592000000' },
      ],
    });
  });

  it('cloudevents: 1e20 bytes in canonical data and in metering data are rejected by index, with the reason', async () => {
    const batch = [
      { specversion: '1.0', id: '1', source: 's', time: TIME, data: { method: 'GET', path: '/a', status: 200, request_bytes: 1e20 } },
      { specversion: '1.0', id: '2', source: 's', time: TIME, data: { method: 'GET', path: '/a', status: 200, response_bytes: 12 } },
      { specversion: '1.0', id: '3', source: 's', time: TIME, data: canonical({ response_bytes: 1e20 }) },
      { specversion: '1.0', id: '4', source: 's', time: TIME, data: { method: 'GET', path: '/a', status: 200, bytes_sent: '100000000000000000000' } },
    ];
    const res = await harness.post('cloudevents', JSON.stringify(batch), 'application/cloudevents-batch+json');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({
      accepted: 1,
      rejected: 3,
      errors: [
        { index: 0, reason: '/request_bytes must be <= 9007199254740991' },
        { index: 2, reason: '/response_bytes must be <= 9007199254740991' },
        { index: 3, reason: '/response_bytes must be <= 9007199254740991' },
      ],
    });
  });

  it('gateway formats: a byte count too large for the column rejects the record instead of dropping the count', async () => {
    const res = await harness.post('envoy', JSON.stringify({ method: 'GET', path: '/a', response_code: 200, bytes_sent: 1e20, start_time: TIME }), 'application/x-ndjson');
    expect(res.json()).toEqual({ accepted: 0, rejected: 1, errors: [{ index: 0, reason: '/response_bytes must be <= 9007199254740991' }] });
  });
});
