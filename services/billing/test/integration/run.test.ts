// Billing runs against the embedded ClickHouse and stripe-mock (through the recording proxy):
// the invoices Stripe receives are exactly the ones computed by hand here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import type { StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import { Ledger } from '../../src/ledger.ts';
import { consumer, creates, inPeriod, PERIOD, PERIOD_BEFORE, runWithProxy, seedConsumers, seedUsage, startProxy } from '../helpers.ts';

let ch: TestClickHouse;
let proxy: StripeProxy;

beforeAll(async () => {
  ch = await testClickHouse('billing_run');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  proxy = await startProxy();
  await seedConsumers(ch.client, ch.database, [
    consumer('alice', 'basic'),
    consumer('bob', 'pro'),
    consumer('carol', 'yen'),
    consumer('dave', 'basic'),
  ]);
  await seedUsage(ch.client, ch.database, [
    { consumer: 'alice', api: 'orders', n: 350 },
    { consumer: 'alice', api: 'orders', n: 20, status: 503 },
    { consumer: 'alice', api: 'orders', n: 40, at: inPeriod(0, -1) }, // the last hour of the previous period
    { consumer: 'bob', api: 'orders', n: 1500, requestBytes: 100, responseBytes: 900 },
    { consumer: 'bob', api: 'search', n: 30, requestBytes: 100, responseBytes: 900 },
    { consumer: 'bob', api: 'health', n: 500, billable: false },
    { consumer: 'carol', api: 'orders', n: 123, method: 'POST', status: 201 },
    { consumer: 'eve', api: 'orders', n: 7 },
  ]);
});
afterAll(async () => {
  await proxy.close();
  await ch.client.close();
});

// Expected by hand from test/fixtures/plans.yaml:
// alice (basic, EUR): base 10.00; 350 billable calls − 100 included = 250 × 0.01 = 2.50; 20 × 503
//   not billed, lost 20 × 0.01 = 0.20.                                   total 1250 cents
// bob (pro, USD): orders 1500 calls graduated: 1000 × 0.005 + 500 × 0.002 = 6.00; search 30 × 0.05
//   = 1.50; transfer 1530 × 1000 bytes = 1.53 MB → 2 packages × 0.10 = 0.20; health is not billable.
//                                                                          total 770 cents
// carol (yen, JPY): 123 × ¥1 = ¥123.                                       total 123
// dave (basic): no usage, base fee only.                                   total 1000 cents
// eve: not in the registry → not invoiced, reported as no_plan.
const expected = {
  alice: { currency: 'eur', items: [1000, 250], total: 1250 },
  bob: { currency: 'usd', items: [600, 150, 20], total: 770 },
  carol: { currency: 'jpy', items: [123], total: 123 },
  dave: { currency: 'eur', items: [1000], total: 1000 },
};

describe('billing run', () => {
  it('sends exactly the expected customers, invoices, invoice items and finalizations to Stripe', async () => {
    const result = await runWithProxy(ch.client, ch.database, proxy);

    expect(proxy.requests.every((r) => r.status === 200)).toBe(true); // stripe-mock accepted every request
    const customers = creates(proxy.requests, /^\/v1\/customers$/);
    expect(customers.map((r) => (r.params.metadata as Record<string, string>).tollgate_consumer_id).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);

    const invoices = creates(proxy.requests, /^\/v1\/invoices$/);
    expect(invoices).toHaveLength(4);
    for (const [id, want] of Object.entries(expected)) {
      const invoice = invoices.find((r) => (r.params.metadata as Record<string, string>).tollgate_consumer_id === id);
      expect(invoice, id).toBeDefined();
      expect(invoice?.params).toMatchObject({ currency: want.currency, pending_invoice_items_behavior: 'exclude', auto_advance: 'false' });
      const customer = customers.find((r) => (r.params.metadata as Record<string, string>).tollgate_consumer_id === id);
      expect(invoice?.params.customer).toBe(customer?.responseId);

      const items = creates(proxy.requests, /^\/v1\/invoiceitems$/).filter((r) => r.params.invoice === invoice?.responseId);
      expect(items.map((r) => Number(r.params.amount)).sort((a, b) => b - a)).toEqual(want.items);
      for (const item of items) {
        expect(item.params).toMatchObject({ currency: want.currency, customer: customer?.responseId });
        expect((item.params.metadata as Record<string, string>).tollgate_period).toBe(PERIOD);
      }
      const finalized = proxy.requests.filter((r) => r.path === `/v1/invoices/${invoice?.responseId}/finalize`);
      expect(finalized).toHaveLength(1);
    }
    const bobItems = creates(proxy.requests, /^\/v1\/invoiceitems$/).filter((r) => (r.params.metadata as Record<string, string>).tollgate_consumer_id === 'bob');
    expect(bobItems.map((r) => (r.params.metadata as Record<string, string>).tollgate_line_key).sort()).toEqual(['calls', 'calls:search', 'transfer']);
    expect(bobItems.find((r) => (r.params.metadata as Record<string, string>).tollgate_line_key === 'calls')?.params.metadata).toMatchObject({ tollgate_units: '1500', tollgate_billable_units: '1500' });

    expect(result.totals).toEqual({ customers: 5, invoices: 4, already_invoiced: 0, failures: 0, amount_minor: { EUR: 2250, USD: 770, JPY: 123 }, lost_revenue_minor: { EUR: 20, USD: 0, JPY: 0 } });
    expect(result.customers.find((c) => c.consumer_id === 'eve')).toMatchObject({ outcome: 'no_plan', reason: 'not in the consumer registry', unbilled_events: 7 });
    expect(result.unbilled).toEqual({ customers: 1, events: 7 });
    const ledger = await new Ledger(ch.client, ch.database).invoices(PERIOD);
    expect([...ledger.values()].map((i) => [i.consumer_id, i.state, i.amount_minor]).sort()).toEqual([
      ['alice', 'finalized', 1250n],
      ['bob', 'finalized', 770n],
      ['carol', 'finalized', 123n],
      ['dave', 'finalized', 1000n],
      ['eve', 'unbilled', 0n], // recorded, with its 7 events: usage never leaves revenue silently
    ]);
    expect(ledger.get('eve')).toMatchObject({ usage_requests: 7n, reason: 'not in the consumer registry' });
  });

  it('the same period run again creates nothing new in Stripe', async () => {
    proxy.reset();
    const again = await runWithProxy(ch.client, ch.database, proxy);
    expect(proxy.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect(again.totals).toMatchObject({ invoices: 0, already_invoiced: 4, failures: 0 });
  });

  it('late events for the closed period are reported with their count and amount, not billed', async () => {
    await seedUsage(ch.client, ch.database, [{ consumer: 'alice', api: 'orders', n: 30, at: inPeriod(19) }]);
    proxy.reset();
    const late = await runWithProxy(ch.client, ch.database, proxy, { customer: 'alice' });
    expect(proxy.requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect(late.customers[0]).toMatchObject({ consumer_id: 'alice', outcome: 'already_invoiced', late: { events: 30, amount_minor: 30 } });
    expect(late.late).toEqual({ customers: 1, events: 30, amount_minor: { EUR: 30 } });
  });

  it('a dry run computes the same lines and sends nothing', async () => {
    proxy.reset();
    const dry = await runWithProxy(ch.client, ch.database, proxy, { period: PERIOD_BEFORE, dryRun: true });
    expect(proxy.requests).toEqual([]);
    expect(dry.customers.find((c) => c.consumer_id === 'alice')).toMatchObject({ outcome: 'draft', amount_minor: 1000, lines: [{ key: 'base_fee', amount_minor: 1000 }, { key: 'calls', units: 40, included_units: 40, billable_units: 0, amount_minor: 0 }] });
  });

  it('reports its progress once per customer, done of total (the CLI shows it on a terminal)', async () => {
    const seen: [number, number][] = [];
    const dry = await runWithProxy(ch.client, ch.database, proxy, { dryRun: true }, { onCustomerDone: (done, total) => seen.push([done, total]) });
    // Every customer considered counts, also one with nothing to report.
    const total = seen[0]?.[1] ?? 0;
    expect(total).toBeGreaterThanOrEqual(dry.customers.length);
    expect(dry.customers.length).toBeGreaterThan(1);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => [i + 1, total]));
  });
});
