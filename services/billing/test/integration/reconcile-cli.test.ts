// `npm run billing -- reconcile` in its own process, after a billing run killed mid-way (SIGKILL)
// and started again: exit 0, no difference; after an invoice duplicated in Stripe behind
// Tollgate's back: exit 1, naming the customer.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseSettingsFromEnv, createClickHouseClient, createStripeClient } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { REPO_ROOT } from '../../../../test/harness/infra.ts';
import { uniqueName } from '../../../../test/harness/names.ts';
import type { StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import type { ReconcileResult } from '../../src/reconcile.ts';
import { consumer, creates, PERIOD, PLANS_FILE, seedConsumers, seedUsage, startProxy } from '../helpers.ts';

let proxy: StripeProxy;
const customers = Array.from({ length: 12 }, (_, i) => `cust-${String(i).padStart(2, '0')}`);
const stripeClient = () => createStripeClient({ secretKey: 'sk_test_123', apiBase: new URL(proxy.url) }, { maxNetworkRetries: 0 });

beforeAll(async () => {
  proxy = await startProxy();
});
afterAll(() => proxy.close());

describe('npm run billing -- reconcile', () => {
  it('after a run killed mid-way and started again: exit 0; after an invoice duplicated in Stripe: exit 1 naming the customer', async () => {
    const dataDir = `${REPO_ROOT}.local/test-chdb/billing-reconcile-${process.pid}`;
    const database = uniqueName('billing_reconcile_cli');
    const client = await createClickHouseClient(clickHouseSettingsFromEnv({ CLICKHOUSE_DATA_DIR: dataDir }));
    await migrate(client, { database, usageRetentionDays: 400 });
    await seedConsumers(client, database, customers.map((id) => consumer(id, 'basic')));
    await seedUsage(client, database, customers.map((id, i) => ({ consumer: id, api: 'orders', n: 150 + i })));
    await client.close();

    const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const env = { ...process.env, CLICKHOUSE_DATA_DIR: dataDir, CLICKHOUSE_DATABASE: database, BILLING_PLANS_FILE: PLANS_FILE, STRIPE_API_BASE: proxy.url, BILLING_STRIPE_CONCURRENCY: '3', BILLING_URL: 'http://127.0.0.1:1' };
    const start = (...args: string[]) => spawn(process.execPath, ['--import', 'tsx', cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const finish = async (...args: string[]): Promise<{ code: number | null; out: string; err: string }> => {
      const child = start(...args);
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      return { code, out, err };
    };

    proxy.reset();
    proxy.latency(40);
    const first = start('run', '--period', PERIOD, '--json');
    while (creates(proxy.requests, /^\/v1\/invoiceitems$/).length < 8) {
      if (first.exitCode !== null) throw new Error(`the first run ended before it was killed (${first.exitCode})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    proxy.latency(0);
    const rerun = await finish('run', '--period', PERIOD, '--json');
    expect(rerun.code, rerun.err).toBe(0);

    const clean = await finish('reconcile', '--period', PERIOD, '--json');
    expect(clean.code, clean.err).toBe(0);
    const report = JSON.parse(clean.out) as ReconcileResult;
    expect(report.ok).toBe(true);
    expect(report.customers.map((c) => c.consumer_id)).toEqual(customers);
    expect(report.customers.every((c) => c.difference_minor === 0 && c.invoiced_minor === 1050 + customers.indexOf(c.consumer_id))).toBe(true);

    // Someone duplicates cust-03's invoice in the Stripe Dashboard (metadata copied) and finalizes it.
    const original = proxy.state.invoices.get(report.customers.find((c) => c.consumer_id === 'cust-03')?.stripe_invoice_ids[0] ?? '');
    expect(original?.metadata.tollgate_consumer_id).toBe('cust-03');
    const stripe = stripeClient();
    const copy = await stripe.invoices.create({ customer: original?.customer ?? '', currency: 'eur', metadata: original?.metadata ?? {}, pending_invoice_items_behavior: 'exclude' });
    await stripe.invoiceItems.create({ customer: original?.customer ?? '', invoice: copy.id, amount: 1053, currency: 'eur' });
    await stripe.invoices.finalizeInvoice(copy.id);

    const altered = await finish('reconcile', '--period', PERIOD);
    expect(altered.code, altered.err).toBe(1);
    expect(altered.out).toContain('unexplained differences for 1 customers: cust-03');
    expect(altered.out).toContain(`2 Stripe invoices for one period`);
  });
});
