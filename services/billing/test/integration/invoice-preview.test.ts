// GET /v1/consumers/{id}/invoice-preview on the embedded engine: the lines a run would make now
// (compared with a dry run of the same consumer and period), quota, included units, the
// consumer-token scope, and the error answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { specCheckedInject } from '@tollgate/platform/testing';
import { periodOf } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { startBilling, type BillingService } from '../../src/service.ts';
import { consumer, inPeriod, testBillingConfig, PERIOD, PLANS_FILE, seedConsumers, seedUsage } from '../helpers.ts';

const ADMIN = 'Bearer admin-token-0123456789';
const PRO_TOKEN = 'pro-user-token-0123456789';
let ch: TestClickHouse;
let billing: BillingService;
/** billing.app.inject, every answer checked against billing's OpenAPI document. */
let inject: ReturnType<typeof specCheckedInject>;
const current = periodOf(new Date());

beforeAll(async () => {
  ch = await testClickHouse('billing_preview');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  await seedConsumers(ch.client, ch.database, [consumer('pro-user', 'pro'), consumer('basic-user', 'basic'), consumer('capped-user', 'capped'), consumer('lost-user', 'retired')]);
  const at = current.start.toISOString().slice(0, 19).replace('T', ' ');
  await seedUsage(ch.client, ch.database, [
    { consumer: 'pro-user', api: 'orders', n: 1_500, responseBytes: 1_000, at, plan: 'pro' },
    { consumer: 'pro-user', api: 'search', n: 10, at, plan: 'pro' },
    { consumer: 'pro-user', api: 'orders', n: 7, status: 500, at, plan: 'pro' },
    { consumer: 'pro-user', api: 'health', n: 40, billable: false, at, plan: 'pro' }, // a non-billable route
    { consumer: 'basic-user', api: 'orders', n: 150, at, plan: 'basic' },
    { consumer: 'basic-user', api: 'orders', n: 30, at: inPeriod(3), plan: 'basic' }, // the closed period
    { consumer: 'capped-user', api: 'orders', n: 20, at, plan: 'capped' },
    { consumer: 'capped-user', api: 'orders', n: 9, status: 503, at, plan: 'capped' },
    { consumer: 'lost-user', api: 'orders', n: 5, at, plan: 'retired' },
  ]);
  const config = testBillingConfig(ch, {
    BILLING_CONSUMER_TOKENS: `${PRO_TOKEN}:pro-user`,
    BILLING_PLANS_FILE: PLANS_FILE,
    BILLING_SCHEDULE: 'off',
  });
  billing = await startBilling(config, ch.client, pino({ level: 'silent' }));
  inject = specCheckedInject(billing.app);
});
afterAll(async () => {
  await billing?.close();
  await ch?.client.close();
});

const preview = (id: string, query = '', authorization = ADMIN) =>
  inject({ method: 'GET', url: `/v1/consumers/${id}/invoice-preview${query}`, headers: authorization ? { authorization } : {} });

describe('invoice preview', () => {
  it("answers the lines a run would make now for the current period, priced like the run's", async () => {
    const answer = await preview('pro-user');
    expect(answer.statusCode).toBe(200);
    const body = answer.json();
    // 1 507 calls of orders (7 failed, not billable) and 10 of search: graduated 1 000 × 0.005 + 500 × 0.002 = 6.00,
    // search override 10 × 0.05 = 0.50; 1 500 000 response bytes = 2 packages of 1 MB at 0.10.
    expect(body).toMatchObject({ consumer_id: 'pro-user', period: current.name, plan_id: 'pro', currency: 'USD', total_minor: '670', quota: null });
    expect(body.lines).toEqual([
      { key: 'calls', description: 'API calls', meter: 'calls', units: '1500', included_units_used: '0', billable_units: '1500', amount_minor: '600' },
      { key: 'calls:search', description: 'API calls (search)', meter: 'calls', api: 'search', units: '10', included_units_used: '0', billable_units: '10', amount_minor: '50' },
      { key: 'transfer', description: 'Data transfer (per MB started)', meter: 'transfer', units: '1500000', included_units_used: '0', billable_units: '1500000', amount_minor: '20' },
    ]);
    const dry = await billing.run({ period: current.name, customer: 'pro-user', dryRun: true, trigger: 'api' });
    const run = dry.customers[0]!;
    expect(body.lines.map((l: { key: string; amount_minor: string }) => [l.key, Number(l.amount_minor)])).toEqual(run.lines.map((l) => [l.key, l.amount_minor]));
    expect([Number(body.total_minor), Number(body.lost_revenue_minor)]).toEqual([run.amount_minor, run.lost_revenue_minor]);
  });

  it('shows the base fee, included units used per meter, and any period asked for', async () => {
    const body = (await preview('basic-user')).json();
    expect(body).toMatchObject({ currency: 'EUR', total_minor: '1050', included_units: [{ plan: 'basic', meter: 'calls', included_units: '100', used: '100' }] });
    expect(body.lines).toEqual([
      { key: 'base_fee', description: 'Basic base fee', units: '1', included_units_used: '0', billable_units: '1', amount_minor: '1000' },
      { key: 'calls', description: 'API calls', meter: 'calls', units: '150', included_units_used: '100', billable_units: '50', amount_minor: '50' },
    ]);
    const closed = (await preview('basic-user', `?period=${PERIOD}`)).json();
    expect(closed).toMatchObject({ period: PERIOD, total_minor: '1000', included_units: [{ meter: 'calls', used: '30' }] });
  });

  it('reports the quota: limit, kind, used (billable statuses only) and remaining', async () => {
    const body = (await preview('capped-user')).json();
    expect(body.quota).toEqual({ limit: 50, kind: 'hard', used: 20, remaining: 30 });
    expect(body.included_units).toEqual([{ plan: 'capped', meter: 'calls', included_units: '50', used: '20' }]);
  });

  it('says why usage is not priced when its plan is unknown', async () => {
    const body = (await preview('lost-user')).json();
    expect(body).toMatchObject({ currency: '', lines: [], total_minor: '0' });
    expect(body.unpriced).toMatch(/unknown plan "retired"/);
  });

  it("lets a consumer token read its own preview only; 401 without a token", async () => {
    expect((await preview('pro-user', '', `Bearer ${PRO_TOKEN}`)).statusCode).toBe(200);
    const other = await preview('basic-user', '', `Bearer ${PRO_TOKEN}`);
    expect([other.statusCode, other.json().error]).toEqual([403, 'forbidden']);
    expect((await preview('pro-user', '', '')).statusCode).toBe(401);
    expect((await preview('pro-user', '', 'Bearer not-a-token-0123456789')).statusCode).toBe(401);
  });

  it('answers 404 for an unknown consumer and 400 invalid_period for a bad period', async () => {
    const missing = await preview('nobody');
    expect([missing.statusCode, missing.json()]).toEqual([404, { error: 'unknown_consumer', message: 'no consumer "nobody" with a known plan' }]);
    for (const period of ['2026-13', 'soon']) {
      const bad = await preview('pro-user', `?period=${period}`);
      expect([bad.statusCode, bad.json()]).toEqual([400, { error: 'invalid_period', message: `period: must be YYYY-MM (got "${period}")` }]);
    }
  });
});
