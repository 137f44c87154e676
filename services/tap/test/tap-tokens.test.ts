// Each tap token has a name (TAP_TOKENS=name:token), stamped as tap_token on every event its
// requests produce: usage written with a token can be traced to it. Tokens shorter than 16
// characters are refused at start-up.
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '@tollgate/platform';
import { validateApiRequest } from '@tollgate/schemas';
import { tapConfigFromEnv } from '../src/config.ts';
import { recordingTapApp } from './app-harness.ts';

const KONG = 'kong-token-0123456789';
const ENVOY = 'envoy-token-0123456789';
const harness = recordingTapApp({ tokens: [{ name: 'kong-edge', token: KONG }, { name: 'mesh', token: ENVOY }] });
afterAll(() => harness.app.close());

const canonical = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ schema: 'api-request/v1', event_id: id, timestamp: '2026-01-01T00:00:00.000Z', gateway: { kind: 'generic' }, method: 'GET', path: '/a', status: 200, ...extra });

describe('tap token names', () => {
  it('reads name:token pairs, names a bare token by its position, and names TAP_TOKENS when a token is shorter than 16 characters', () => {
    expect(tapConfigFromEnv({ TAP_TOKENS: 'kong-edge:0123456789abcdef,fedcba9876543210' }).tokens).toEqual([
      { name: 'kong-edge', token: '0123456789abcdef' },
      { name: 'token-2', token: 'fedcba9876543210' },
    ]);
    for (const bad of ['short', 'kong:short-token', 'a b:0123456789abcdef', 'x:0123456789abcdef,x:0123456789abcdeg']) {
      expect(() => tapConfigFromEnv({ TAP_TOKENS: bad }), bad).toThrow(ConfigError);
      expect(() => tapConfigFromEnv({ TAP_TOKENS: bad }), bad).toThrow(/TAP_TOKENS/);
    }
    expect(() => tapConfigFromEnv({ TAP_TOKENS: 'kong:short-token' })).toThrow(/at least 16 characters/);
  });

  it('stamps the name of the token on every event its request produced, whatever the record claimed', async () => {
    await harness.post('ndjson', [canonical('n-1'), canonical('n-2', { tap_token: 'someone-else' })].join('\n'), 'application/x-ndjson', KONG);
    await harness.post('envoy', JSON.stringify({ method: 'GET', path: '/b', response_code: 200, start_time: '2026-01-01T00:00:00.000Z', request_id: 'r-1' }), 'application/x-ndjson', ENVOY);
    await harness.post('combined', '203.0.113.9 - - [01/Jan/2026:00:00:00 +0000] "GET /c HTTP/1.1" 200 5 "-" "curl/8"', 'text/plain', ENVOY);
    const events = harness.events();
    expect(events.map((e) => [e.path, e.tap_token])).toEqual([['/a', 'kong-edge'], ['/a', 'kong-edge'], ['/b', 'mesh'], ['/c', 'mesh']]);
    // The canonical line travels as its own text with the name put in: still one valid event.
    for (const event of events) expect(validateApiRequest(event)).toMatchObject({ ok: true });
    expect(harness.handed[0]![0]!.value).toBe(canonical('n-1').replace('{', '{"tap_token":"kong-edge",'));
  });

  it('refuses a token that is not configured', async () => {
    const res = await harness.post('ndjson', canonical('n-3'), 'application/x-ndjson', 'not-a-token-0123456789');
    expect(res.statusCode).toBe(401);
  });
});
