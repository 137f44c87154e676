// Gateway decisions end to end on the embedded engine: billing started from its environment (the
// enricher's catalog file, the tap's HMAC key), API keys added through the admin API, and every
// decision a gateway can get — allow, unknown_consumer, suspended, blocked, not_entitled, rate and a
// tight hard quota — in both the path and the header form, for NGINX too.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { clickHouseTime, credentialHmac } from '@tollgate/platform';
import { periodOf } from '@tollgate/pricing';
import type { ConsumerRecord } from '@tollgate/registry';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { startBilling, type BillingService } from '../../src/service.ts';
import { consumer, seedConsumers, seedUsage, testBillingConfig } from '../helpers.ts';

const PLANS = fileURLToPath(new URL('../fixtures/policy-plans.yaml', import.meta.url));
const CATALOG = fileURLToPath(new URL('../fixtures/policy-catalog.json', import.meta.url));
const HMAC_KEY = 'decisions-test-hmac-key-0123456789';
const GATEWAY = 'gateway-token-0123456789';
const admin = { authorization: 'Bearer admin-token-0123456789' };

let ch: TestClickHouse;
let billing: BillingService;
const suspensions: Array<{ consumer: string; at: number }> = [];

/** A gateway call in the path form (Envoy): `/v1/authorize/<path>` with the original host. */
const authorize = (path: string, headers: Record<string, string> = {}) =>
  billing.app.inject({ method: 'GET', url: `/v1/authorize${path}`, headers: { host: 'api.example.com', 'x-tollgate-gateway-token': GATEWAY, ...headers } });
const addKey = (consumerId: string, key: string) => billing.app.inject({ method: 'POST', url: `/v1/admin/consumers/${consumerId}/api-keys`, headers: admin, payload: { key } });
const put = (consumerId: string, payload: Partial<ConsumerRecord>) => billing.app.inject({ method: 'PUT', url: `/v1/admin/consumers/${consumerId}`, headers: admin, payload });

beforeAll(async () => {
  ch = await testClickHouse('billing_decisions');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  await seedConsumers(ch.client, ch.database, [
    consumer('alice', 'open'),
    consumer('bob', 'trial', { blocked_apis: ['search'] }),
    consumer('carol', 'trial'),
    consumer('dave', 'trial'),
    consumer('erin', 'open'),
    consumer('hardy', 'hard'),
    consumer('nginx-user', 'trial'),
  ]);
  // hardy used 15 of its 20 calls earlier this period.
  await seedUsage(ch.client, ch.database, [{ consumer: 'hardy', api: 'orders', n: 15, at: clickHouseTime(periodOf(new Date()).start) }]);
  const config = testBillingConfig(ch, {
    BILLING_GATEWAY_TOKENS: GATEWAY,
    BILLING_PLANS_FILE: PLANS,
    API_CATALOG_FILE: CATALOG,
    TAP_HMAC_KEY: HMAC_KEY,
    BILLING_SCHEDULE: 'off',
    // Long enough that no background refresh runs during a test: the ones that need one call it.
    QUOTA_REFRESH_MS: '3600000',
  });
  billing = await startBilling(config, ch.client, pino({ level: 'silent' }), {
    consumerSuspended: async (c, at) => {
      suspensions.push({ consumer: c.consumer_id, at });
    },
  });
});
afterAll(async () => {
  await billing?.close();
  await ch?.client.close();
});

describe('API keys', () => {
  it('are added through the admin API, never shown again, and stored as the tap\'s credential HMAC', async () => {
    const created = await addKey('alice', 'alice-key-0123456789abcdef');
    expect(created.statusCode).toBe(201);
    expect(Object.keys(created.json()).sort()).toEqual(['consumer_id', 'created_at', 'key_id']);
    expect(created.json().consumer_id).toBe('alice');
    expect(created.body).not.toContain('alice-key-0123456789abcdef');
    const hmac = credentialHmac(HMAC_KEY)('alice-key-0123456789abcdef');
    expect(created.body).not.toContain(hmac);
    const rows = await ch.client.query({ query: `SELECT key_hmac FROM ${ch.database}.api_keys FINAL`, format: 'JSONEachRow' }).then((r) => r.json<{ key_hmac: string }>());
    expect(rows).toEqual([{ key_hmac: hmac }]);

    const listed = await billing.app.inject({ method: 'GET', url: '/v1/admin/consumers/alice/api-keys', headers: admin });
    expect(listed.json()).toEqual({ keys: [created.json()] });
    expect((await addKey('alice', 'short')).json()).toEqual({ error: 'invalid_api_key', message: 'key: an API key must have at least 16 characters' });
    expect((await addKey('nobody', 'nobody-key-0123456789')).statusCode).toBe(404);
    expect((await billing.app.inject({ method: 'POST', url: '/v1/admin/consumers/alice/api-keys', payload: { key: 'x'.repeat(20) } })).statusCode).toBe(401);
  });

  it('name the consumer: header x-api-key or apikey, or ?api_key=, in the path or the header form', async () => {
    for (const answer of [
      await authorize('/orders/1', { 'x-api-key': 'alice-key-0123456789abcdef' }),
      await authorize('/orders/1', { apikey: 'alice-key-0123456789abcdef' }),
      await authorize('/orders/1?api_key=alice-key-0123456789abcdef'),
      await billing.app.inject({
        method: 'GET',
        url: '/v1/authorize',
        headers: { host: 'billing.internal', 'x-tollgate-gateway-token': GATEWAY, 'x-forwarded-uri': '/orders/7?api_key=alice-key-0123456789abcdef', 'x-forwarded-method': 'POST', 'x-forwarded-host': 'api.example.com' },
      }),
    ]) {
      expect([answer.statusCode, answer.headers['x-tollgate-decision'], answer.headers['x-tollgate-consumer']]).toEqual([200, 'allow', 'alice']);
    }
  });

  it('unknown or missing keys are 401 unknown_consumer once keys exist (also for NGINX), and a revoked key is unknown at once', async () => {
    const unknown = await authorize('/orders/1', { 'x-api-key': 'not-a-key-0123456789abc' });
    expect([unknown.statusCode, unknown.headers['x-tollgate-decision'], unknown.json()]).toEqual([401, 'unknown_consumer', { error: 'unknown_consumer', message: 'the API key is not known' }]);
    expect((await authorize('/orders/1')).statusCode).toBe(401);
    expect((await authorize('/orders/1', { 'x-consumer-id': 'ghost' })).json().message).toBe('no consumer "ghost" in the registry');
    expect((await authorize('/orders/1', { 'x-tollgate-gateway': 'nginx' })).statusCode).toBe(401);

    expect((await addKey('erin', 'erin-key-0123456789abcdef')).statusCode).toBe(201);
    const [key] = (await billing.app.inject({ method: 'GET', url: '/v1/admin/consumers/erin/api-keys', headers: admin })).json().keys;
    expect((await authorize('/orders/1', { 'x-api-key': 'erin-key-0123456789abcdef' })).statusCode).toBe(200);
    expect((await billing.app.inject({ method: 'DELETE', url: `/v1/admin/consumers/erin/api-keys/${key.key_id}`, headers: admin })).statusCode).toBe(204);
    expect((await authorize('/orders/1', { 'x-api-key': 'erin-key-0123456789abcdef' })).statusCode).toBe(401);
    expect((await billing.app.inject({ method: 'DELETE', url: `/v1/admin/consumers/erin/api-keys/${key.key_id}`, headers: admin })).statusCode).toBe(404);
    // Another process reads the keys from the registry: the revocation holds after a refresh too.
    await billing.quota.refresh();
    expect((await authorize('/orders/1', { 'x-api-key': 'erin-key-0123456789abcdef' })).statusCode).toBe(401);
    expect((await authorize('/orders/1', { 'x-api-key': 'alice-key-0123456789abcdef' })).statusCode).toBe(200);
  });
});

describe('policies', () => {
  it('a suspended consumer is refused every call at once (403 suspended), announced once, and allowed again when reactivated', async () => {
    expect((await put('carol', { status: 'suspended' })).statusCode).toBe(200);
    const refused = await authorize('/orders/1', { 'x-consumer-id': 'carol' });
    expect([refused.statusCode, refused.headers['x-tollgate-decision'], refused.json()]).toEqual([403, 'suspended', { error: 'suspended', message: 'consumer carol is suspended' }]);
    await put('carol', { status: 'suspended', name: 'Carol' });
    expect(suspensions.map((s) => s.consumer)).toEqual(['carol']);
    expect((await put('carol', { status: 'active' })).statusCode).toBe(200);
    expect((await authorize('/orders/1', { 'x-consumer-id': 'carol' })).statusCode).toBe(200);
    await billing.quota.refresh();
    expect((await authorize('/orders/1', { 'x-consumer-id': 'carol' })).statusCode).toBe(200);
  });

  it('a blocked API is 403 blocked; an API outside the plan is 403 not_entitled', async () => {
    const blocked = await authorize('/search/q', { 'x-consumer-id': 'bob' });
    expect([blocked.statusCode, blocked.headers['x-tollgate-decision'], blocked.json().message]).toEqual([403, 'blocked', 'consumer bob is blocked from API search']);
    expect((await authorize('/orders/1', { 'x-consumer-id': 'bob' })).statusCode).toBe(200);
    const outside = await authorize('/billing/invoices', { 'x-consumer-id': 'bob' });
    expect([outside.statusCode, outside.headers['x-tollgate-decision'], outside.json()]).toEqual([403, 'not_entitled', { error: 'not_entitled', message: 'plan trial does not include API billing' }]);
    // An admin block holds at once.
    await put('bob', { blocked_apis: ['search', 'orders'] });
    expect((await authorize('/orders/1', { 'x-consumer-id': 'bob' })).headers['x-tollgate-decision']).toBe('blocked');
  });

  it('over its rate limit a consumer gets 429 rate with Retry-After, RateLimit-Policy, RateLimit', async () => {
    const calls = [];
    for (let i = 0; i < 4; i++) calls.push(await authorize('/orders/1', { 'x-consumer-id': 'dave' }));
    expect(calls.map((c) => c.statusCode)).toEqual([200, 200, 200, 429]);
    expect(calls[0]!.headers['ratelimit-policy']).toBe('"3-per-minute";q=3;w=60');
    expect(calls[1]!.headers.ratelimit).toMatch(/^"3-per-minute";r=1;t=(39|40)$/);
    const refused = calls[3]!;
    expect(refused.headers['x-tollgate-decision']).toBe('rate');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(19);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(20);
    expect(refused.headers.ratelimit).toMatch(/^"3-per-minute";r=0;t=\d+$/);
    expect([refused.headers['x-ratelimit-limit'], refused.headers['x-ratelimit-remaining']]).toEqual(['3', '0']);
    expect(refused.json()).toEqual({ error: 'rate', message: 'consumer dave is over its rate limit 3-per-minute' });
  });

  it('NGINX gets 403 for every refusal, still with the decision, the consumer and Retry-After', async () => {
    const nginx = { 'x-consumer-id': 'nginx-user', 'x-tollgate-gateway': 'nginx' };
    for (let i = 0; i < 3; i++) expect((await authorize('/orders/1', nginx)).statusCode).toBe(200);
    const rate = await authorize('/orders/1', nginx);
    expect([rate.statusCode, rate.headers['x-tollgate-decision'], rate.headers['x-tollgate-consumer']]).toEqual([403, 'rate', 'nginx-user']);
    expect(Number(rate.headers['retry-after'])).toBeGreaterThan(0);
    const outside = await authorize('/billing/x', nginx);
    expect([outside.statusCode, outside.headers['x-tollgate-decision']]).toEqual([403, 'not_entitled']);
  });
});

describe('hard quota', () => {
  it('is tight: exactly limit − used calls pass, then 429 quota; the usage arriving later is not counted twice', async () => {
    const hardy = () => authorize('/orders/1', { 'x-consumer-id': 'hardy' });
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await hardy());
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(answers.map((a) => a.headers['x-ratelimit-remaining'])).toEqual(['5', '4', '3', '2', '1', '0', '0']);
    const refused = answers[5]!;
    expect(refused.headers['x-tollgate-decision']).toBe('quota');
    expect(refused.headers['ratelimit-policy']).toMatch(/^"quota";q=20;w=\d+$/);
    expect(refused.headers.ratelimit).toMatch(/^"quota";r=0;t=\d+$/);
    // Retry-After: when the period (and its quota) resets.
    const untilReset = (periodOf(new Date()).end.getTime() - Date.now()) / 1000;
    expect(Math.abs(Number(refused.headers['retry-after']) - untilReset)).toBeLessThan(5);

    const quota = () => billing.app.inject({ method: 'GET', url: '/v1/quota/hardy', headers: { authorization: `Bearer ${GATEWAY}` } }).then((r) => r.json().used as number);
    expect(await quota()).toBe(20);
    // The pipeline delivers 3 of the 5 calls, then all 5: still 20 used, never 23 or 25.
    const periodStart = periodOf(new Date()).start.getTime();
    const at = clickHouseTime(new Date(Math.max(periodStart, Date.now() - 5_000)));
    await seedUsage(ch.client, ch.database, [{ consumer: 'hardy', api: 'orders', n: 3, at }]);
    await billing.quota.refresh();
    expect(await quota()).toBe(20);
    expect((await hardy()).statusCode).toBe(429);
    await seedUsage(ch.client, ch.database, [{ consumer: 'hardy', api: 'orders', n: 2, at }]);
    await billing.quota.refresh();
    expect(await quota()).toBe(20);
    expect((await hardy()).headers['x-tollgate-decision']).toBe('quota');
  });
});

describe('metrics', () => {
  it('counts decisions by outcome and times them', async () => {
    const text = (await billing.app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const decision of ['allow', 'rate', 'quota', 'suspended', 'blocked', 'not_entitled', 'unknown_consumer']) {
      expect(text).toMatch(new RegExp(`tollgate_billing_decisions_total\\{decision="${decision}",service="billing"\\} [1-9]`));
    }
    expect(text).toMatch(/tollgate_billing_authorize_seconds_count\{service="billing"\} [1-9]/);
  });
});
