// Late usage billed on the next invoice (late-usage.ts): events of an invoiced period that arrive
// later are charged (or credited) once, by an adjustment line on the customer's next invoice, with
// its own Stripe metadata; a run interrupted after pricing the adjustment bills the same one when
// resumed; late_usage: report plans keep today's behaviour. Reconciliation agrees throughout.
import { readFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseTime, createStripeClient } from '@tollgate/platform';
import { parsePeriod, parsePlansFile, periodOf, type PlanCatalog } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import type { RecordedStripeRequest, StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import { Ledger } from '../../src/ledger.ts';
import { reconcilePeriod } from '../../src/reconcile.ts';
import { runBilling, type RunOptions } from '../../src/run.ts';
import { StripeBilling } from '../../src/stripe-billing.ts';
import { consumer, creates, PERIOD, PERIOD_BEFORE, PLANS_FILE, seedConsumers, seedUsage, startProxy } from '../helpers.ts';

/** The test plans plus a volume-priced plan (late usage can lower its price) and a report-only plan. */
const EXTRA_PLANS = `
  vol:
    name: Volume
    currency: EUR
    base_fee: "20.00"
    meters:
      - id: calls
        description: API calls
        unit: requests
        price:
          model: volume
          tiers:
            - { up_to: 100, unit_price: "0.10" }
            - { up_to: null, unit_price: "0.01" }
  relaxed:
    name: Relaxed
    currency: EUR
    late_usage: report
    meters:
      - id: calls
        description: API calls
        unit: requests
        price: { model: per_unit, unit_price: "0.01" }
`;

let ch: TestClickHouse;
let proxy: StripeProxy;
let plans: PlanCatalog;
const P1 = PERIOD_BEFORE;
const P2 = PERIOD;
/** The month after P2: the current one (the calendar only decides which months these are). */
const P3 = periodOf(parsePeriod(P2).end).name;
const inP1 = (days: number) => clickHouseTime(new Date(parsePeriod(P1).start.getTime() + days * 86_400_000));

function stripe(): StripeBilling {
  return new StripeBilling(createStripeClient({ secretKey: 'sk_test_123', apiBase: new URL(proxy.url) }, { maxNetworkRetries: 0 }), { attempts: 4, baseMs: 2, maxMs: 10 });
}
const deps = () => ({ client: ch.client, database: ch.database, ledger: new Ledger(ch.client, ch.database), plans, stripe: stripe(), log: pino({ level: 'silent' }) });
const run = (options: Partial<RunOptions>) => runBilling({ period: P2, dryRun: false, trigger: 'cli', ...options }, { autoAdvance: false, concurrency: 3 }, deps());
const reconcile = (period: string) => reconcilePeriod({ ...deps(), concurrency: 3 }, period);
const meta = (r: RecordedStripeRequest) => r.params.metadata as Record<string, string>;

beforeAll(async () => {
  ch = await testClickHouse('billing_late');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  proxy = await startProxy();
  plans = parsePlansFile(`${await readFile(PLANS_FILE, 'utf8')}${EXTRA_PLANS}`, 'yaml');
  await seedConsumers(ch.client, ch.database, [consumer('alice', 'basic'), consumer('vic', 'vol'), consumer('rita', 'relaxed')]);
  await seedUsage(ch.client, ch.database, [
    { consumer: 'alice', api: 'orders', n: 350, at: inP1(3) },
    { consumer: 'vic', api: 'orders', n: 90, at: inP1(3) },
    { consumer: 'rita', api: 'orders', n: 100, at: inP1(3) },
    { consumer: 'alice', api: 'orders', n: 10 },
    { consumer: 'vic', api: 'orders', n: 200 },
    { consumer: 'rita', api: 'orders', n: 50 },
  ]);
});
afterAll(async () => {
  await proxy.close();
  await ch.client.close();
});

describe('late usage', () => {
  it('is billed once on the next invoice, as a charge or a credit, and a resumed run bills the adjustment it priced', async () => {
    const first = await run({ period: P1 });
    expect(first.customers.map((c) => [c.consumer_id, c.outcome, c.amount_minor])).toEqual([
      ['alice', 'invoiced', 1250], // 10.00 + 250 × 0.01
      ['rita', 'invoiced', 100],
      ['vic', 'invoiced', 2900], // 20.00 + 90 × 0.10
    ]);

    // Late: alice +30 calls (+0.30); vic +20 calls, 110 in all, now in the 0.01 tier (20.00 + 1.10 = 21.10,
    // a credit of 7.90); rita +10 calls, reported only.
    await seedUsage(ch.client, ch.database, [
      { consumer: 'alice', api: 'orders', n: 30, at: inP1(20) },
      { consumer: 'vic', api: 'orders', n: 20, at: inP1(20) },
      { consumer: 'rita', api: 'orders', n: 10, at: inP1(20) },
    ]);

    // The next period's run is interrupted after the lines (adjustments included) were priced and recorded.
    proxy.reset();
    proxy.failures({ rate: 1, statuses: [500], paths: /^\/v1\/invoiceitems$/ });
    const interrupted = await run({});
    proxy.failures({ rate: 0 });
    expect(interrupted.totals.failures).toBe(3);
    // More late events arrive before the re-run: they wait for the invoice after.
    await seedUsage(ch.client, ch.database, [{ consumer: 'alice', api: 'orders', n: 5, at: inP1(21) }]);

    const resumed = await run({});
    expect(resumed.totals).toMatchObject({ invoices: 3, failures: 0 });
    const alice = resumed.customers.find((c) => c.consumer_id === 'alice');
    expect(alice).toMatchObject({ outcome: 'invoiced', amount_minor: 1030, late_billed: [{ adjusts_period: P1, line_key: `late:${P1}:1`, events: 30, amount_minor: 30 }] });
    expect(resumed.customers.find((c) => c.consumer_id === 'vic')).toMatchObject({ amount_minor: 2000 + 200 - 790, late_billed: [{ adjusts_period: P1, events: 20, amount_minor: -790 }] });
    expect(resumed.customers.find((c) => c.consumer_id === 'rita')?.late_billed).toBeUndefined();

    const adjustments = creates(proxy.requests, /^\/v1\/invoiceitems$/).filter((r) => meta(r).tollgate_adjusts_period !== undefined);
    expect(adjustments.map((r) => [meta(r).tollgate_consumer_id, r.params.amount, r.params.description, meta(r).tollgate_late_events, meta(r).tollgate_period])).toEqual(
      expect.arrayContaining([
        ['alice', '30', `Usage received after ${P1} was invoiced`, '30', P2],
        ['vic', '-790', `Usage received after ${P1} was invoiced`, '20', P2],
      ]),
    );
    expect(adjustments).toHaveLength(2);

    // Run again: nothing new anywhere.
    proxy.reset();
    const again = await run({});
    expect(proxy.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect(again.totals).toMatchObject({ invoices: 0, already_invoiced: 3 });

    // A re-run of P1 reports only what no adjustment covers yet.
    const rerun = await run({ period: P1 });
    expect(rerun.customers.map((c) => [c.consumer_id, c.late])).toEqual([
      ['alice', { events: 5, amount_minor: 5 }],
      ['rita', { events: 10, amount_minor: 10 }],
      ['vic', undefined],
    ]);

    // The invoice after bills alice's remaining 5 events as the period's second adjustment.
    const preview = await run({ period: P3, dryRun: true, customer: 'alice' });
    expect(preview.customers[0]?.lines.filter((l) => l.adjusts_period)).toEqual([
      { key: `late:${P1}:2`, meter: 'late_usage', adjusts_period: P1, description: `Usage received after ${P1} was invoiced`, units: 385, included_units: 380, billable_units: 5, amount_minor: 5 },
    ]);
  });

  it('reconciles: what Stripe holds for a period includes its adjustments on later invoices; late events not billed yet are explained', async () => {
    const p1 = await reconcile(P1);
    expect(p1.ok).toBe(true);
    expect(p1.customers.map((c) => [c.consumer_id, c.invoiced_minor, c.ledger_minor, c.repriced_minor, c.late_billed_minor, c.late_pending_minor, c.difference_minor])).toEqual([
      ['alice', 1280, 1280, 1285, 30, 5, 0],
      ['rita', 100, 100, 110, 0, 10, 0],
      ['vic', 2110, 2110, 2110, -790, 0, 0],
    ]);
    expect(p1.customers.find((c) => c.consumer_id === 'rita')?.notes).toEqual(['10 late events reported only (late_usage: report)']);
    const p2 = await reconcile(P2);
    expect(p2.ok).toBe(true);
    expect(p2.customers.map((c) => [c.consumer_id, c.invoiced_minor, c.repriced_minor, c.difference_minor])).toEqual([
      ['alice', 1000, 1000, 0],
      ['rita', 50, 50, 0],
      ['vic', 2200, 2200, 0],
    ]);
  });
});
