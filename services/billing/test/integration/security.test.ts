// Regressions of the hardening review: credentials never reach the request log, /v1/authorize
// fails closed when no gateway token is configured (BILLING_GATEWAY_AUTH=off opens it on purpose),
// and short tokens are refused at start-up, naming the variable.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, type Env } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { capturedLog } from '../../../../test/harness/log.ts';
import { billingConfigFromEnv } from '../../src/config.ts';
import { startBilling, type BillingService } from '../../src/service.ts';
import { consumer, PLANS_FILE, seedConsumers } from '../helpers.ts';

const ADMIN_TOKEN = 'admin-token-0123456789';
const GATEWAY_TOKEN = 'gateway-token-0123456789';
let ch: TestClickHouse;
const started: BillingService[] = [];

function env(over: Env): Env {
  return {
    ...process.env,
    CLICKHOUSE_DATA_DIR: ch.dataDir,
    CLICKHOUSE_DATABASE: ch.database,
    BILLING_PORT: '0',
    BILLING_ADMIN_TOKENS: ADMIN_TOKEN,
    BILLING_GATEWAY_TOKENS: '',
    BILLING_GATEWAY_AUTH: '',
    BILLING_PLANS_FILE: PLANS_FILE,
    STRIPE_SECRET_KEY: '',
    STRIPE_API_BASE: '',
    BILLING_SCHEDULE: 'off',
    ...over,
  };
}

async function start(over: Env, log = pino({ level: 'silent' })): Promise<BillingService> {
  const billing = await startBilling(billingConfigFromEnv(env(over)), ch.client, log);
  started.push(billing);
  return billing;
}

beforeAll(async () => {
  ch = await testClickHouse('billing_security');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  await seedConsumers(ch.client, ch.database, [consumer('pro-user', 'pro')]);
});
afterAll(async () => {
  for (const billing of started) await billing.close();
  await ch.client.close();
});

describe('the request log', () => {
  it('holds no api_key from the query string and no credential header, but the path', async () => {
    const { log, text } = capturedLog();
    const billing = await start({ BILLING_GATEWAY_TOKENS: GATEWAY_TOKEN }, log);
    const answer = await billing.app.inject({
      method: 'GET',
      url: '/v1/authorize/orders/1?api_key=sk_live_secret',
      headers: { 'x-tollgate-gateway-token': GATEWAY_TOKEN, 'x-consumer-id': 'pro-user', authorization: 'Bearer sk_live_bearer_secret', cookie: 'session=sk_live_cookie_secret' },
    });
    expect(answer.statusCode).toBe(200);
    await billing.app.inject({ method: 'GET', url: '/v1/quota/pro-user?token=sk_live_quota_secret', headers: { authorization: `Bearer ${GATEWAY_TOKEN}` } });
    const logged = text();
    expect(logged).toContain('/v1/authorize/orders/1');
    expect(logged).toContain('/v1/quota/pro-user');
    expect(logged).not.toContain('sk_live');
    expect(logged).not.toContain(GATEWAY_TOKEN);
  });
});

describe('gateway auth', () => {
  const authorize = (billing: BillingService, headers: Record<string, string> = {}) =>
    billing.app.inject({ method: 'GET', url: '/v1/authorize/orders/1', headers: { 'x-consumer-id': 'pro-user', ...headers } });

  it('with no BILLING_GATEWAY_TOKENS, /v1/authorize refuses every call', async () => {
    const billing = await start({});
    const answer = await authorize(billing);
    expect(answer.statusCode).toBe(403);
    expect(answer.json()).toEqual({ error: 'forbidden', message: 'x-tollgate-gateway-token is missing or wrong' });
    expect((await authorize(billing, { 'x-tollgate-gateway-token': '' })).statusCode).toBe(403);
    expect((await billing.app.inject({ method: 'GET', url: '/v1/quota/pro-user' })).statusCode).toBe(401);
  });

  it('BILLING_GATEWAY_AUTH=off opens the gateway routes on purpose, with a warning at start-up', async () => {
    const { log, text } = capturedLog();
    const billing = await start({ BILLING_GATEWAY_AUTH: 'off' }, log);
    expect((await authorize(billing)).statusCode).toBe(200);
    expect((await billing.app.inject({ method: 'GET', url: '/v1/quota/pro-user' })).statusCode).toBe(200);
    expect((await billing.app.inject({ method: 'GET', url: '/v1/admin/consumers' })).statusCode).toBe(401);
    expect(text()).toMatch(/"level":40.*BILLING_GATEWAY_AUTH=off/);
  });
});

describe('token length', () => {
  it.each([
    ['BILLING_ADMIN_TOKENS', { BILLING_ADMIN_TOKENS: 'admin-1' }],
    ['BILLING_GATEWAY_TOKENS', { BILLING_GATEWAY_TOKENS: `${GATEWAY_TOKEN},gw-1` }],
  ])('refuses a token under 16 characters in %s', (name, over) => {
    expect(() => billingConfigFromEnv(env(over))).toThrow(ConfigError);
    expect(() => billingConfigFromEnv(env(over))).toThrow(new RegExp(`${name} entry \\d: tokens must be at least 16 characters`));
  });
});
