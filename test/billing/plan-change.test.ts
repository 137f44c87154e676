// A consumer changes plan in the middle of a month: the invoice a billing run sends to Stripe and
// the revenue the dashboards report for that month must be the same amount, to the minor unit,
// because both price the month with @tollgate/pricing's one plan rule (plan-assignment.ts).
// Real embedded ClickHouse, real stripe-mock behind the recording proxy; dates from the clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRollupCoverage, parseParams, QUERIES_BY_NAME, type QueryContext } from '@tollgate/dashboards';
import { loadPlansFile, previousPeriod } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../harness/clickhouse.ts';
import type { StripeProxy } from '../harness/stripe-proxy.ts';
import { consumer, creates, PLANS_FILE, runWithProxy, seedConsumers, seedUsage, startProxy } from '../../services/billing/test/helpers.ts';

const period = previousPeriod(new Date());
const firstHalf = `${period.name}-05 00:00:00`;
const secondHalf = `${period.name}-20 00:00:00`;

let ch: TestClickHouse;
let proxy: StripeProxy;

beforeAll(async () => {
  ch = await testClickHouse('plan_change');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 4000 });
  proxy = await startProxy();
  // The registry says what is in force now: mia moved from basic to plus; noel is on basic.
  await seedConsumers(ch.client, ch.database, [consumer('mia', 'plus'), consumer('noel', 'basic')]);
  await seedUsage(ch.client, ch.database, [
    { consumer: 'mia', api: 'orders', n: 400, at: firstHalf, plan: 'basic' },
    { consumer: 'mia', api: 'orders', n: 20, status: 503, at: firstHalf, plan: 'basic' },
    { consumer: 'mia', api: 'orders', n: 3500, at: secondHalf, plan: 'plus' },
    // noel was unknown to the registry when these calls were made: no plan stamped.
    { consumer: 'noel', api: 'orders', n: 150, at: secondHalf },
  ]);
});
afterAll(async () => {
  await proxy.close();
  await ch.client.close();
});

// By hand, from services/billing/test/fixtures/plans.yaml:
// mia: base fee once, of plus (in force at the month's end)                          2500
//      basic calls: 400 billable − 100 included = 300 × 0.01                           300
//      (20 × 503 are not billable: 20 cents of lost revenue)
//      plus calls: 3500 − 1000 included = 2500, graduated 2000 × 0.008 + 500 × 0.004   1800
//                                                                               total 4600 cents
// noel: unstamped calls priced under basic (registry): 10.00 + 50 × 0.01           total 1050 cents
const MIA = 4600;
const NOEL = 1050;

describe('a plan change in the middle of a month', () => {
  it('is invoiced and reported as the same revenue, to the minor unit', async () => {
    const run = await runWithProxy(ch.client, ch.database, proxy, { period: period.name });
    const invoiced = Object.fromEntries(run.customers.map((c) => [c.consumer_id, c]));
    expect(invoiced.mia).toMatchObject({ outcome: 'invoiced', plan_id: 'plus', currency: 'EUR', amount_minor: MIA, lost_revenue_minor: 20 });
    expect(invoiced.mia?.lines.map((l) => [l.key, l.amount_minor])).toEqual([
      ['base_fee', 2500],
      ['basic:calls', 300],
      ['plus:calls', 1800],
    ]);
    // One plan in the period: the line keys billing always used.
    expect(invoiced.noel).toMatchObject({ outcome: 'invoiced', plan_id: 'basic', amount_minor: NOEL });
    expect(invoiced.noel?.lines.map((l) => [l.key, l.amount_minor])).toEqual([
      ['base_fee', 1000],
      ['calls', 50],
    ]);

    // What Stripe received: one invoice per consumer, its items adding up to the amounts above.
    const invoices = creates(proxy.requests, /^\/v1\/invoices$/);
    const items = creates(proxy.requests, /^\/v1\/invoiceitems$/);
    const stripeTotal = (id: string): number => {
      const invoice = invoices.find((r) => (r.params.metadata as Record<string, string>).tollgate_consumer_id === id);
      return items.filter((r) => r.params.invoice === invoice?.responseId).reduce((sum, r) => sum + Number(r.params.amount), 0);
    };
    expect(stripeTotal('mia')).toBe(MIA);
    expect(stripeTotal('noel')).toBe(NOEL);

    const ctx: QueryContext = {
      client: ch.client,
      database: ch.database,
      plans: await loadPlansFile(PLANS_FILE),
      retention: { minuteRollupDays: 35, rollupsSince: await loadRollupCoverage(ch.client, ch.database) },
      now: () => new Date(),
    };
    const month = { from: period.start.toISOString(), to: period.end.toISOString() };
    const query = (name: string) => {
      const q = QUERIES_BY_NAME.get(name)!;
      return q.run(ctx, parseParams(q.params, month));
    };
    const byConsumer = await query('revenue_by_consumer');
    expect(byConsumer.map((r) => [r.consumer_id, r.plan_id, r.currency, r.revenue_minor, r.base_fee_minor, r.lost_revenue_minor])).toEqual([
      ['mia', 'basic,plus', 'EUR', String(MIA), '2500', '20'],
      ['noel', 'basic', 'EUR', String(NOEL), '1000', '0'],
    ]);
    const summary = await query('revenue_summary');
    expect(summary.map((r) => [r.currency, r.revenue_minor, r.unpriced_calls])).toEqual([['EUR', String(MIA + NOEL), 0]]);
    expect(run.totals.amount_minor).toEqual({ EUR: MIA + NOEL });
  });
});
