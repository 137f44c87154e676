// Period boundaries are product behaviour: the schedule fires at 00:00:05 UTC on the 1st and bills
// the month that has just ended — its last millisecond included, nothing of the new month.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { billingConfigFromEnv } from '../../src/config.ts';
import { clickHouseTime } from '@tollgate/platform';
import { periodOf, previousPeriod } from '@tollgate/pricing';
import { startBilling, type BillingService } from '../../src/service.ts';
import { consumer, PLANS_FILE, seedConsumers, seedUsage } from '../helpers.ts';

let ch: TestClickHouse;
let billing: BillingService;
// The 1st of this month (from the clock), five seconds after midnight: when the schedule fires.
const thisMonth = periodOf(new Date());
const firedAt = new Date(thisMonth.start.getTime() + 5_000);
const ended = previousPeriod(firedAt);
const at = (ms: number) => clickHouseTime(new Date(ms));

beforeAll(async () => {
  ch = await testClickHouse('billing_schedule');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  await seedConsumers(ch.client, ch.database, [consumer('edge', 'basic')]);
  const end = thisMonth.start.getTime();
  await seedUsage(ch.client, ch.database, [
    { consumer: 'edge', api: 'orders', n: 1, at: at(ended.start.getTime()) }, // first millisecond of the month
    { consumer: 'edge', api: 'orders', n: 1, at: at(end - 1) }, // 23:59:59.999 on its last day
    { consumer: 'edge', api: 'orders', n: 1, at: at(end) }, // 00:00:00.000 of the next month
    { consumer: 'edge', api: 'orders', n: 1, at: at(end + 4_999) }, // just before the schedule fired
    { consumer: 'edge', api: 'orders', n: 1, at: at(ended.start.getTime() - 1) }, // the month before
    { consumer: 'ghost', api: 'orders', n: 3, at: at(ended.start.getTime() + 60_000) }, // not in the registry
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
    STRIPE_API_BASE: '',
    BILLING_SCHEDULE: 'off',
  });
  billing = await startBilling(config, ch.client, pino({ level: 'silent' }));
});
afterAll(async () => {
  await billing.close();
  await ch.client.close();
});

describe('the scheduled run at a month boundary', () => {
  it('bills the month that just ended, its last millisecond included and none of the next month', async () => {
    const result = await billing.runScheduled(firedAt);
    expect(result.period).toBe(ended.name);
    expect(result.dry_run).toBe(true);
    const edge = result.customers.find((c) => c.consumer_id === 'edge');
    expect(edge?.lines.find((l) => l.key === 'calls')).toMatchObject({ units: 2 });
    // Usage no plan prices is reported in the result and as a metric, not dropped silently.
    expect(result.unbilled).toEqual({ customers: 1, events: 3 });
    const metrics = (await billing.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`tollgate_billing_unbilled_events{period="${ended.name}",service="billing"} 3`);
  });
});
