// Events stamped further ahead of their arrival than TAP_MAX_FUTURE_SKEW are rejected, on every
// route: Kafka refuses record timestamps over an hour ahead, and a billing period must not receive
// usage before it happened.
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@tollgate/platform';
import { tapConfigFromEnv } from '../src/config.ts';
import { mapContext } from '../src/ingest/map-context.ts';
import { recordingTapApp } from './app-harness.ts';

const ARRIVAL = new Date('2026-03-10T12:00:00.000Z');
const harness = recordingTapApp({ now: () => ARRIVAL });
afterAll(() => harness.app.close());

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function timeLocal(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** Per route: a body of two records, the first stamped at `ok`, the second at `late` (epoch ms). */
const ROUTES: Array<[format: string, contentType: string, body: (ok: number, late: number) => string]> = [
  ['kong', 'application/json', (ok, late) => JSON.stringify([ok, late].map((t, i) => ({ request: { id: `k-${i}`, method: 'GET', uri: '/a' }, response: { status: 200 }, started_at: t })))],
  ['apisix', 'application/json', (ok, late) => JSON.stringify([ok, late].map((t) => ({ request: { method: 'GET', uri: '/a' }, response: { status: 200 }, start_time: t })))],
  ['envoy', 'application/x-ndjson', (ok, late) => [ok, late].map((t) => JSON.stringify({ method: 'GET', path: '/a', response_code: 200, start_time: new Date(t).toISOString() })).join('\n')],
  ['nginx', 'application/x-ndjson', (ok, late) => [ok, late].map((t) => JSON.stringify({ method: 'GET', uri: '/a', status: '200', msec: (t / 1000).toFixed(3) })).join('\n')],
  ['combined', 'text/plain', (ok, late) => [ok, late].map((t) => `203.0.113.9 - - [${timeLocal(t)}] "GET /a HTTP/1.1" 200 5 "-" "curl/8"`).join('\n')],
  ['ndjson', 'application/x-ndjson', (ok, late) => [ok, late].map((t, i) => JSON.stringify({ schema: 'api-request/v1', event_id: `n-${i}`, timestamp: new Date(t).toISOString(), gateway: { kind: 'generic' }, method: 'GET', path: '/a', status: 200 })).join('\n')],
  ['cloudevents', 'application/cloudevents-batch+json', (ok, late) => JSON.stringify([ok, late].map((t, i) => ({ specversion: '1.0', id: `c-${i}`, source: 's', time: new Date(t).toISOString(), data: { method: 'GET', path: '/a', status: 200 } })))],
];

describe('future timestamps (TAP_MAX_FUTURE_SKEW, 5 min by default)', () => {
  for (const [format, contentType, body] of ROUTES) {
    it(`${format}: an event 4 min ahead of arrival is accepted, one 10 min ahead is rejected by index with the reason`, async () => {
      const ok = ARRIVAL.getTime() + 4 * 60_000;
      const late = ARRIVAL.getTime() + 10 * 60_000;
      const res = await harness.post(format, body(ok, late), contentType);
      expect(res.statusCode).toBe(202);
      expect(res.json()).toEqual({
        accepted: 1,
        rejected: 1,
        errors: [{ index: 1, reason: 'timestamp 2026-03-10T12:10:00.000Z is 10m ahead of arrival at the tap (at most 5m allowed)' }],
      });
    });
  }

  it('cloudevents without a time of its own, and the other formats without one, take the arrival and are never ahead', async () => {
    const res = await harness.post('cloudevents', JSON.stringify({ specversion: '1.0', id: 'x', source: 's', data: { method: 'GET', path: '/a', status: 200 } }), 'application/cloudevents+json');
    expect(res.json()).toMatchObject({ accepted: 1, rejected: 0 });
  });

  it('takes TAP_MAX_FUTURE_SKEW as milliseconds or with a unit, and names it when it cannot read it', () => {
    const env = { TAP_TOKENS: 'a-token-of-sixteen-chars' };
    expect(tapConfigFromEnv(env).maxFutureSkewMs).toBe(300_000);
    expect(tapConfigFromEnv({ ...env, TAP_MAX_FUTURE_SKEW: '300s' }).maxFutureSkewMs).toBe(300_000);
    expect(tapConfigFromEnv({ ...env, TAP_MAX_FUTURE_SKEW: '2m' }).maxFutureSkewMs).toBe(120_000);
    expect(tapConfigFromEnv({ ...env, TAP_MAX_FUTURE_SKEW: '1500' }).maxFutureSkewMs).toBe(1_500);
    expect(tapConfigFromEnv({ ...env, TAP_MAX_FUTURE_SKEW: '250ms' }).maxFutureSkewMs).toBe(250);
    for (const bad of ['soon', '-5m', '2h', '5 minutes']) {
      expect(() => tapConfigFromEnv({ ...env, TAP_MAX_FUTURE_SKEW: bad })).toThrow(ConfigError);
      expect(() => tapConfigFromEnv({ ...env, TAP_MAX_FUTURE_SKEW: bad })).toThrow(/TAP_MAX_FUTURE_SKEW/);
    }
  });

  it('a configured skew applies: with 30s, an event 1 min ahead is rejected', async () => {
    const strict = recordingTapApp({ now: () => ARRIVAL, mapContext: mapContext({ hmacKey: 'k', secretQueryParams: [], maxFutureSkewMs: 30_000 }) });
    const line = JSON.stringify({ schema: 'api-request/v1', event_id: 'e', timestamp: '2026-03-10T12:01:00.000Z', gateway: { kind: 'generic' }, method: 'GET', path: '/a', status: 200 });
    const res = await strict.post('ndjson', line, 'application/x-ndjson');
    expect(res.json()).toEqual({ accepted: 0, rejected: 1, errors: [{ index: 0, reason: 'timestamp 2026-03-10T12:01:00.000Z is 1m ahead of arrival at the tap (at most 30s allowed)' }] });
    await strict.app.close();
  });
});
