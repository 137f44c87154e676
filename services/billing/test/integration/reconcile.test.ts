// Reconciliation with Stripe (reconcile.ts) after the fault scenarios billing survives: Stripe
// answering 429/500, late events, a draft deleted in Stripe (a run killed mid-way: reconcile-cli.test.ts).
// Each ends with no unexplained difference; an item added by hand behind Tollgate's back is caught
// and the customer named.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '@tollgate/platform';
import { loadPlansFile } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { uniqueName } from '../../../../test/harness/names.ts';
import type { StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import { formatReconcileTable } from '../../src/cli.ts';
import { Ledger } from '../../src/ledger.ts';
import { reconcilePeriod, type ReconcileResult } from '../../src/reconcile.ts';
import { StripeBilling } from '../../src/stripe-billing.ts';
import { consumer, inPeriod, PERIOD, PLANS_FILE, runWithProxy, seedConsumers, seedUsage, startProxy } from '../helpers.ts';

let proxy: StripeProxy;
let ch: TestClickHouse;
const customers = Array.from({ length: 12 }, (_, i) => `cust-${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  proxy = await startProxy();
  ch = await testClickHouse('billing_reconcile');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  await seedConsumers(ch.client, ch.database, customers.map((id) => consumer(id, 'basic')));
  await seedUsage(ch.client, ch.database, customers.map((id, i) => ({ consumer: id, api: 'orders', n: 150 + i })));
});
afterAll(async () => {
  await proxy.close();
  await ch.client.close();
});

const stripeClient = () => createStripeClient({ secretKey: 'sk_test_123', apiBase: new URL(proxy.url) }, { maxNetworkRetries: 0 });
async function reconcile(customer?: string): Promise<ReconcileResult> {
  const stripe = new StripeBilling(stripeClient(), { attempts: 8, baseMs: 5, maxMs: 50 });
  return reconcilePeriod({ client: ch.client, database: ch.database, ledger: new Ledger(ch.client, ch.database), plans: await loadPlansFile(PLANS_FILE), stripe, concurrency: 3 }, PERIOD, customer);
}
const differences = (r: ReconcileResult) => r.customers.map((c) => [c.consumer_id, c.difference_minor]);

describe('reconcile after the fault scenarios', () => {
  it('Stripe answering 429 and 500 to a third of the requests: difference 0 for every customer', async () => {
    proxy.reset();
    proxy.failures({ rate: 0.33, statuses: [429, 500], seed: 11, paths: /^\/v1\/(invoices|invoiceitems)/ });
    const run = await runWithProxy(ch.client, ch.database, proxy);
    expect(run.totals).toMatchObject({ invoices: 12, failures: 0 });
    // Reconciliation pages and retries through the same flaky Stripe.
    const result = await reconcile();
    proxy.failures({ rate: 0 });
    expect(proxy.requests.filter((r) => r.injected && r.method === 'GET').length).toBeGreaterThan(0);
    expect(result.ok).toBe(true);
    expect(result.customers).toHaveLength(12);
    for (const c of result.customers) expect(c).toMatchObject({ invoiced_minor: c.repriced_minor, ledger_minor: c.repriced_minor, difference_minor: 0 });
    expect(result.difference_minor).toEqual({ EUR: 0 });
  });

  it('late events: pending, explained, no difference', async () => {
    await seedUsage(ch.client, ch.database, [{ consumer: 'cust-01', api: 'orders', n: 7, at: inPeriod(20) }]);
    const result = await reconcile();
    expect(result.ok).toBe(true);
    expect(result.customers.find((c) => c.consumer_id === 'cust-01')).toMatchObject({ invoiced_minor: 1051, repriced_minor: 1058, late_pending_minor: 7, late_pending_events: 7, difference_minor: 0 });
  });

  it('a draft deleted in Stripe before it was finalized: the next run replaces it, and Stripe matches again', async () => {
    // A new customer's invoice is created and filled, but finalizing fails: the run leaves a draft.
    const stripe = stripeClient();
    const fresh = uniqueName('late_joiner');
    await seedConsumers(ch.client, ch.database, [consumer(fresh, 'basic')]);
    await seedUsage(ch.client, ch.database, [{ consumer: fresh, api: 'orders', n: 180 }]);
    proxy.reset();
    proxy.failures({ rate: 1, statuses: [500], paths: /\/finalize$/ });
    const failed = await runWithProxy(ch.client, ch.database, proxy, { customer: fresh });
    proxy.failures({ rate: 0 });
    expect(failed.customers[0]).toMatchObject({ outcome: 'failed' });
    const draft = (await new Ledger(ch.client, ch.database).invoices(PERIOD, fresh)).get(fresh)?.stripe_invoice_id ?? '';
    expect(draft).toMatch(/^in_/);
    expect((await reconcile(fresh)).unexplained).toEqual([fresh]); // not finalized: not what is due

    await stripe.invoices.del(draft);
    const resumed = await runWithProxy(ch.client, ch.database, proxy, { customer: fresh });
    expect(resumed.customers[0]).toMatchObject({ outcome: 'invoiced', amount_minor: 1080 });
    expect(resumed.customers[0]?.stripe_invoice_id).not.toBe(draft);
    const live = [...proxy.state.invoices.values()].filter((i) => i.metadata.tollgate_consumer_id === fresh && !i.deleted);
    expect(live.map((i) => [i.status, i.metadata.tollgate_invoice_generation])).toEqual([['open', '1']]);
    const result = await reconcile(fresh);
    expect(result.ok).toBe(true);
    expect(differences(result)).toEqual([[fresh, 0]]);
  });

  it('an item added by hand to a Tollgate draft: an unexplained difference, naming the customer', async () => {
    // A new customer's draft, left by a run whose finalize failed, gets an item from someone in the Dashboard.
    const sneaky = uniqueName('sneaky');
    await seedConsumers(ch.client, ch.database, [consumer(sneaky, 'basic')]);
    await seedUsage(ch.client, ch.database, [{ consumer: sneaky, api: 'orders', n: 120 }]);
    proxy.reset();
    proxy.failures({ rate: 1, statuses: [500], paths: /\/finalize$/ });
    await runWithProxy(ch.client, ch.database, proxy, { customer: sneaky });
    proxy.failures({ rate: 0 });
    const invoice = (await new Ledger(ch.client, ch.database).invoices(PERIOD, sneaky)).get(sneaky);
    const stripe = stripeClient();
    await stripe.invoiceItems.create({ customer: invoice?.stripe_customer_id ?? '', invoice: invoice?.stripe_invoice_id ?? '', amount: 500, currency: 'eur', description: 'Consulting (added in the Dashboard)' });
    const finished = await runWithProxy(ch.client, ch.database, proxy, { customer: sneaky });
    expect(finished.customers[0]).toMatchObject({ outcome: 'invoiced', amount_minor: 1020 });

    const result = await reconcile();
    expect(result.ok).toBe(false);
    expect(result.unexplained).toEqual([sneaky]);
    expect(result.customers.find((c) => c.consumer_id === sneaky)).toMatchObject({ invoiced_minor: 1520, ledger_minor: 1020, repriced_minor: 1020, difference_minor: 500, ok: false });
    expect(result.difference_minor).toEqual({ EUR: 500 });
    const table = formatReconcileTable(result).join('\n');
    expect(table).toContain(`unexplained differences for 1 customers: ${sneaky}`);
    expect(table).toMatch(/items not created by Tollgate: ii_\w+ \(500\)/);
  });
});
