// Billing's HTTP interface on the embedded engine: quota checks and ext_authz for gateways, the
// admin API, Stripe's webhook, and the CLI handing a run to the running service.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Stripe from 'stripe';
import { pino } from 'pino';
import { periodOf } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import type { StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import { runBillingCli } from '../../src/cli.ts';
import { startBilling, type BillingService } from '../../src/service.ts';
import { specCheckedInject } from '@tollgate/platform/testing';
import { consumer, PERIOD, testBillingConfig, PLANS_FILE, seedConsumers, seedUsage, startProxy } from '../helpers.ts';

const WEBHOOK_SECRET = 'whsec_test_secret';
let ch: TestClickHouse;
let proxy: StripeProxy;
let billing: BillingService;
/** billing.app.inject, every answer checked against billing's OpenAPI document. */
let inject: ReturnType<typeof specCheckedInject>;
const admin = { authorization: 'Bearer admin-token-0123456789' };

beforeAll(async () => {
  ch = await testClickHouse('billing_http');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  proxy = await startProxy();
  const now = periodOf(new Date());
  await seedConsumers(ch.client, ch.database, [consumer('capped-over', 'capped'), consumer('capped-under', 'capped'), consumer('pro-user', 'pro')]);
  const at = now.start.toISOString().slice(0, 19).replace('T', ' ');
  await seedUsage(ch.client, ch.database, [
    { consumer: 'capped-over', api: 'orders', n: 50, at },
    { consumer: 'capped-over', api: 'orders', n: 30, status: 500, at }, // 5xx do not use up quota
    { consumer: 'capped-under', api: 'orders', n: 49, at },
    { consumer: 'pro-user', api: 'orders', n: 5_000, at },
  ]);
  const config = testBillingConfig(ch, {
    BILLING_GATEWAY_TOKENS: 'gateway-token-0123456789',
    BILLING_PLANS_FILE: PLANS_FILE,
    STRIPE_API_BASE: proxy.url,
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
    BILLING_SCHEDULE: 'off',
  });
  billing = await startBilling(config, ch.client, pino({ level: 'silent' }));
  inject = specCheckedInject(billing.app);
});
afterAll(async () => {
  await billing.close();
  await proxy.close();
  await ch.client.close();
});

describe('quota for gateways', () => {
  it('GET /v1/quota/{consumer} answers used, limit, remaining and period end', async () => {
    const answer = await inject({ method: 'GET', url: '/v1/quota/capped-under', headers: { authorization: 'Bearer gateway-token-0123456789' } });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toEqual({ consumer: 'capped-under', plan: 'capped', used: 49, limit: 50, remaining: 1, hard: true, exceeded: false, period_end: periodOf(new Date()).end.toISOString() });
    expect((await inject({ method: 'GET', url: '/v1/quota/nobody', headers: { authorization: 'Bearer gateway-token-0123456789' } })).statusCode).toBe(404);
    expect((await inject({ method: 'GET', url: '/v1/quota/capped-under' })).statusCode).toBe(401);
  });

  it('ext_authz: a hard-quota consumer past its limit is refused with 429 and x-ratelimit headers; others are allowed', async () => {
    const check = (consumerId: string, token = 'gateway-token-0123456789') =>
      inject({ method: 'GET', url: '/v1/authorize/orders/42', headers: { 'x-consumer-id': consumerId, 'x-tollgate-gateway-token': token, authorization: 'Bearer the-callers-own-token' } });
    const over = await check('capped-over');
    expect(over.statusCode).toBe(429);
    expect(over.headers['x-ratelimit-limit']).toBe('50');
    expect(over.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(over.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
    expect([over.headers['x-tollgate-decision'], over.headers['x-tollgate-consumer'], over.json().error]).toEqual(['quota', 'capped-over', 'quota']);
    expect(Number(over.headers['retry-after'])).toBe(Number(over.headers['x-ratelimit-reset']));
    const under = await check('capped-under');
    expect(under.statusCode).toBe(200);
    expect(under.headers['x-ratelimit-remaining']).toBe('1');
    expect([under.headers['x-tollgate-decision'], under.headers['x-tollgate-consumer']]).toEqual(['allow', 'capped-under']);
    expect((await check('pro-user')).statusCode).toBe(200);
    expect((await check('pro-user')).headers['x-tollgate-quota']).toBe('unlimited');
    // No API key exists in this registry: a consumer it does not know is let through (BILLING_UNKNOWN_CONSUMER unset).
    expect((await check('stranger')).statusCode).toBe(200);
    expect((await check('stranger')).headers['x-tollgate-decision']).toBe('allow');
    expect((await check('capped-over', 'wrong')).statusCode).toBe(403);
  });
});

describe('admin API', () => {
  it('creates and updates a consumer in the registry; rejects an unknown plan', async () => {
    const created = await inject({ method: 'PUT', url: '/v1/admin/consumers/new-one', headers: admin, payload: { org_id: 'acme', email: 'n@acme.test', plan_id: 'basic' } });
    expect(created.statusCode).toBe(201);
    const updated = await inject({ method: 'PUT', url: '/v1/admin/consumers/new-one', headers: admin, payload: { plan_id: 'pro' } });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ consumer_id: 'new-one', org_id: 'acme', email: 'n@acme.test', plan_id: 'pro' });
    const read = await inject({ method: 'GET', url: '/v1/admin/consumers/new-one', headers: admin });
    expect(read.json()).toMatchObject({ plan_id: 'pro', org_id: 'acme' });
    const bad = await inject({ method: 'PUT', url: '/v1/admin/consumers/x', headers: admin, payload: { plan_id: 'platinum' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/plan_id "platinum" is not in the plans file/);
    expect((await inject({ method: 'PUT', url: '/v1/admin/consumers/x', payload: { plan_id: 'pro' } })).statusCode).toBe(401);
  });

  it('validates run requests by schema: invalid_period, invalid_customer, one error shape', async () => {
    const post = (payload: object) => inject({ method: 'POST', url: '/v1/admin/runs', headers: admin, payload });
    const badPeriod = await post({ period: '2026-13', dry_run: true });
    expect([badPeriod.statusCode, badPeriod.json()]).toEqual([400, { error: 'invalid_period', message: 'period: must be YYYY-MM (got "2026-13")' }]);
    expect((await post({ dry_run: true })).json()).toEqual({ error: 'invalid_period', message: 'period: is required' });
    expect((await post({ period: PERIOD, customer: ['a', 'b'], dry_run: true })).json()).toMatchObject({ error: 'invalid_customer' });
    const list = await inject({ method: 'GET', url: '/v1/admin/runs?period=soon', headers: admin });
    expect([list.statusCode, list.json().error]).toEqual([400, 'invalid_period']);
    const missing = await inject({ method: 'GET', url: '/v1/admin/consumers/nobody-here', headers: admin });
    expect([missing.statusCode, missing.json()]).toEqual([404, { error: 'not_found', message: 'no consumer "nobody-here"' }]);
  });

  it('a real run of the current or a future period needs force: 409 period_not_closed, one error shape; dry runs need none', async () => {
    const post = (payload: object) => inject({ method: 'POST', url: '/v1/admin/runs', headers: admin, payload });
    for (const period of [periodOf(new Date()).name, '2999-01']) {
      const refused = await post({ period });
      expect(refused.statusCode).toBe(409);
      expect(Object.keys(refused.json()).sort()).toEqual(['error', 'message']);
      expect(refused.json()).toMatchObject({ error: 'period_not_closed', message: expect.stringContaining(`${period} is `) });
      expect((await post({ period, force: false })).statusCode).toBe(409);
    }
    const preview = await post({ period: '2999-01', dry_run: true });
    expect([preview.statusCode, preview.json().dry_run]).toEqual([200, true]);
    const forced = await post({ period: '2999-01', customer: 'nobody-here', force: true });
    expect(forced.json().error).not.toBe('period_not_closed');
    expect(proxy.requests.filter((r) => r.method === 'POST')).toEqual([]);
  });

  it('the CLI refuses a real run of the current or a future period without --force, before touching anything', async () => {
    const err: string[] = [];
    const env = { ...process.env, BILLING_URL: 'http://127.0.0.1:1', BILLING_ADMIN_TOKENS: '' };
    const june = (): Date => new Date(Date.UTC(2031, 5, 15));
    for (const period of ['2031-06', '2031-07']) {
      expect(await runBillingCli(['run', '--period', period], env, { out: () => undefined, err: (l) => err.push(l) }, june)).toBe(2);
      expect(err.at(-1)).toMatch(new RegExp(`^${period} is .*--force`));
    }
    // A closed period, a dry run, or --force get past the check (to the missing token, here).
    for (const args of [['--period', '2031-05'], ['--period', '2031-06', '--dry-run'], ['--period', '2031-07', '--force']]) {
      const code = await runBillingCli(['run', ...args], { ...env, BILLING_URL: billing.url }, { out: () => undefined, err: (l) => err.push(l) }, june);
      expect([code, err.at(-1)]).toEqual([1, expect.stringMatching(/set BILLING_ADMIN_TOKENS/)]);
    }
  });

  it('the CLI hands a run to the running service instead of opening the data folder', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const env = { ...process.env, BILLING_URL: billing.url, BILLING_ADMIN_TOKENS: 'admin-token-0123456789', CLICKHOUSE_DATA_DIR: ch.dataDir };
    const code = await runBillingCli(['run', '--period', periodOf(new Date()).name, '--dry-run', '--json'], env, { out: (l) => out.push(l), err: (l) => err.push(l) });
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const result = JSON.parse(out.join('\n'));
    expect(result.dry_run).toBe(true);
    // pro: 5 000 calls graduated, 1 000 × 0.005 + 4 000 × 0.002 = 13.00 USD
    expect(result.customers.find((c: { consumer_id: string }) => c.consumer_id === 'pro-user')).toMatchObject({ outcome: 'draft', currency: 'USD', amount_minor: 1300 });
    expect(proxy.requests.filter((r) => r.method === 'POST')).toEqual([]);

    const noToken = await runBillingCli(['run', '--period', PERIOD], { ...env, BILLING_ADMIN_TOKENS: '' }, { out: () => undefined, err: (l) => err.push(l) });
    expect(noToken).toBe(1);
    expect(err.at(-1)).toMatch(/a billing service is running at .* set BILLING_ADMIN_TOKENS/);
    expect(await runBillingCli(['run', '--period', '2026-13'], env, { out: () => undefined, err: (l) => err.push(l) })).toBe(2);
    expect(err.at(-1)).toMatch(/period must be YYYY-MM/);
  });
});

describe('Stripe webhook', () => {
  const stripe = new Stripe('sk_test_123');
  const payload = (invoiceId: string) =>
    JSON.stringify({ id: 'evt_1', object: 'event', type: 'invoice.paid', data: { object: { id: invoiceId, object: 'invoice', metadata: {} } } });

  it('a bad signature is answered 400 and nothing is recorded', async () => {
    const body = payload('in_bad');
    const answer = await inject({
      method: 'POST',
      url: '/stripe/webhook',
      headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: 'whsec_wrong' }) },
      payload: body,
    });
    expect(answer.statusCode).toBe(400);
    const events = await inject({ method: 'GET', url: '/metrics' });
    expect(events.statusCode).toBe(200);
    const { Ledger } = await import('../../src/ledger.ts');
    expect(await new Ledger(ch.client, ch.database).webhookEvents()).toEqual([]);
  });

  it('a signed invoice.paid is recorded once, even when Stripe delivers it twice', async () => {
    const body = payload('in_good');
    const send = () =>
      inject({
        method: 'POST',
        url: '/stripe/webhook',
        headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET }) },
        payload: body,
      });
    expect((await send()).json()).toEqual({ received: true, recorded: true });
    expect((await send()).json()).toEqual({ received: true, recorded: false });
    const { Ledger } = await import('../../src/ledger.ts');
    expect(await new Ledger(ch.client, ch.database).webhookEvents()).toEqual([{ event_id: 'evt_1', type: 'invoice.paid', stripe_invoice_id: 'in_good' }]);
  });
});
