// An invoice of more lines than Stripe takes items (250 per invoice): a plan with 300 per-API
// overrides, billed against stripe-mock through the recording proxy, which refuses a 251st item as
// Stripe does. The run succeeds on one invoice, the items add up to the draft total, every ledger
// line knows its item, a second run adds nothing, and reconciliation finds no difference.
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStripeClient } from '@tollgate/platform';
import { parsePlansFile, type PlanCatalog } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import type { StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import { STRIPE_MAX_INVOICE_ITEMS } from '../../src/invoice-items.ts';
import { Ledger } from '../../src/ledger.ts';
import { reconcilePeriod } from '../../src/reconcile.ts';
import { runBilling } from '../../src/run.ts';
import { StripeBilling } from '../../src/stripe-billing.ts';
import { consumer, inPeriod, PERIOD, seedConsumers, startProxy } from '../helpers.ts';

const APIS = Array.from({ length: 300 }, (_, i) => `api-${String(i).padStart(3, '0')}`);
/** Unit price of API i, in cents: 1 to 9. */
const cents = (i: number) => (i % 9) + 1;
const PLANS = `
version: 1
plans:
  wide:
    name: Wide
    currency: EUR
    base_fee: "5.00"
    meters:
      - id: calls
        description: API calls
        unit: requests
        price: { model: per_unit, unit_price: "0.01" }
        api_overrides:
${APIS.map((api, i) => `          ${api}: { model: per_unit, unit_price: "0.0${cents(i)}" }`).join('\n')}
`;
const CALLS_PER_API = 3;
const EXPECTED_TOTAL = 500 + APIS.reduce((sum, _, i) => sum + CALLS_PER_API * cents(i), 0);

let ch: TestClickHouse;
let proxy: StripeProxy;
let plans: PlanCatalog;
const stripeClient = () => createStripeClient({ secretKey: 'sk_test_123', apiBase: new URL(proxy.url) }, { maxNetworkRetries: 0 });
const deps = () => ({ client: ch.client, database: ch.database, ledger: new Ledger(ch.client, ch.database), plans, stripe: new StripeBilling(stripeClient(), { attempts: 4, baseMs: 2, maxMs: 10 }), log: pino({ level: 'silent' }) });

beforeAll(async () => {
  ch = await testClickHouse('billing_many_lines');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  proxy = await startProxy();
  plans = parsePlansFile(PLANS, 'yaml');
  await seedConsumers(ch.client, ch.database, [consumer('wide', 'wide')]);
  await ch.client.command({
    query: `INSERT INTO ${ch.database}.api_requests (event_id, ts, consumer_id, api, method, status, status_class, billable)
            SELECT concat('wide-', toString(number)), toDateTime64({at:String}, 3, 'UTC') + toIntervalSecond(number), 'wide',
                   concat('api-', leftPad(toString(number % 300), 3, '0')), 'GET', 200, '2xx', true
            FROM numbers({n:UInt64})`,
    query_params: { at: inPeriod(2), n: APIS.length * CALLS_PER_API },
  });
});
afterAll(async () => {
  await proxy.close();
  await ch.client.close();
});

describe('an invoice with 300 lines', () => {
  it('the recording proxy refuses a 251st item on an invoice, as Stripe does', async () => {
    const stripe = stripeClient();
    const customer = await stripe.customers.create({});
    const invoice = await stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'exclude' });
    for (let i = 0; i < STRIPE_MAX_INVOICE_ITEMS; i += 25) {
      await Promise.all(Array.from({ length: 25 }, () => stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 1, currency: 'eur' })));
    }
    await expect(stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 1, currency: 'eur' })).rejects.toMatchObject({ statusCode: 400 });
  });

  it('is billed on one invoice whose items add up to the draft total', async () => {
    const dry = await runBilling({ period: PERIOD, dryRun: true, trigger: 'cli' }, { autoAdvance: false, concurrency: 2 }, deps());
    const draft = dry.customers[0];
    expect(draft?.lines.filter((l) => l.amount_minor !== 0)).toHaveLength(301);
    expect(draft?.amount_minor).toBe(EXPECTED_TOTAL);

    proxy.reset();
    const result = await runBilling({ period: PERIOD, dryRun: false, trigger: 'cli' }, { autoAdvance: false, concurrency: 2 }, deps());
    expect(result.customers[0]).toMatchObject({ outcome: 'invoiced', amount_minor: EXPECTED_TOTAL });
    expect(proxy.requests.every((r) => r.status === 200)).toBe(true);
    const invoiceId = result.customers[0]?.stripe_invoice_id ?? '';
    const items = [...proxy.state.items.values()].filter((item) => item.invoice === invoiceId);
    expect(items.length).toBeLessThanOrEqual(STRIPE_MAX_INVOICE_ITEMS);
    expect(items.reduce((sum, item) => sum + item.amount, 0)).toBe(EXPECTED_TOTAL);
    expect(items.map((item) => [item.metadata.tollgate_line_key, item.metadata.tollgate_lines]).sort()).toEqual([
      ['base_fee', undefined],
      ['group:calls', '300'],
    ]);
    expect(proxy.state.invoices.get(invoiceId)?.status).toBe('open');

    const lines = [...(await new Ledger(ch.client, ch.database).lines(PERIOD, 'wide')).values()].filter((l) => l.amount_minor !== 0n);
    expect(lines).toHaveLength(301);
    expect(lines.every((l) => items.some((item) => item.id === l.stripe_invoice_item_id))).toBe(true);

    proxy.reset();
    const again = await runBilling({ period: PERIOD, dryRun: false, trigger: 'cli' }, { autoAdvance: false, concurrency: 2 }, deps());
    expect(again.totals).toMatchObject({ invoices: 0, already_invoiced: 1 });
    expect(proxy.requests.filter((r) => r.method === 'POST')).toEqual([]);

    const reconciled = await reconcilePeriod({ ...deps(), concurrency: 2 }, PERIOD);
    expect(reconciled.ok).toBe(true);
    expect(reconciled.customers.map((c) => [c.consumer_id, c.invoiced_minor, c.difference_minor])).toEqual([['wide', EXPECTED_TOTAL, 0]]);
  });
});
