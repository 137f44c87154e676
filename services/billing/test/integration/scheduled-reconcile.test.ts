// The scheduled run ends with a reconciliation of the period it billed: logged, and the
// tollgate_billing_reconcile_difference_minor gauge per period and currency.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tollgate/schemas';
import { periodOf, previousPeriod } from '@tollgate/pricing';
import { clickHouseTime } from '@tollgate/platform';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import type { StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import { billingConfigFromEnv } from '../../src/config.ts';
import { startBilling, type BillingService } from '../../src/service.ts';
import { consumer, PLANS_FILE, seedConsumers, seedUsage, startProxy } from '../helpers.ts';

let ch: TestClickHouse;
let proxy: StripeProxy;
let billing: BillingService;
const firedAt = new Date(periodOf(new Date()).start.getTime() + 5_000);
const ended = previousPeriod(firedAt);

beforeAll(async () => {
  ch = await testClickHouse('billing_sched_reconcile');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  proxy = await startProxy();
  await seedConsumers(ch.client, ch.database, [consumer('anna', 'basic'), consumer('ben', 'pro')]);
  const at = clickHouseTime(new Date(ended.start.getTime() + 86_400_000));
  await seedUsage(ch.client, ch.database, [
    { consumer: 'anna', api: 'orders', n: 120, at },
    { consumer: 'ben', api: 'orders', n: 40, at },
  ]);
  const config = billingConfigFromEnv({
    ...process.env,
    CLICKHOUSE_DATA_DIR: ch.dataDir,
    CLICKHOUSE_DATABASE: ch.database,
    BILLING_PORT: '0',
    BILLING_ADMIN_TOKENS: 'admin-token-0001',
    BILLING_GATEWAY_TOKENS: 'gateway-token-01',
    BILLING_PLANS_FILE: PLANS_FILE,
    STRIPE_SECRET_KEY: '',
    STRIPE_API_BASE: proxy.url,
    BILLING_SCHEDULE: 'off',
  });
  billing = await startBilling(config, ch.client, pino({ level: 'silent' }));
});
afterAll(async () => {
  await billing.close();
  await proxy.close();
  await ch.client.close();
});

describe('the scheduled run', () => {
  it('reconciles the period it billed as its last step: gauge 0 per currency, and the admin API answers the same', async () => {
    const result = await billing.runScheduled(firedAt);
    expect(result).toMatchObject({ period: ended.name, dry_run: false, totals: { invoices: 2, failures: 0 } });
    const metrics = (await billing.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`tollgate_billing_reconcile_difference_minor{period="${ended.name}",currency="EUR",service="billing"} 0`);
    expect(metrics).toContain(`tollgate_billing_reconcile_difference_minor{period="${ended.name}",currency="USD",service="billing"} 0`);

    const answer = await billing.app.inject({ method: 'GET', url: `/v1/admin/reconcile?period=${ended.name}`, headers: { authorization: 'Bearer admin-token-0001' } });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ period: ended.name, ok: true, unexplained: [], difference_minor: { EUR: 0, USD: 0 } });
    const bad = await billing.app.inject({ method: 'GET', url: '/v1/admin/reconcile?period=2026-13', headers: { authorization: 'Bearer admin-token-0001' } });
    expect(bad.statusCode).toBe(400);
  });
});
