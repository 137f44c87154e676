// Stripe failing, and a run killed halfway: still exactly one invoice per customer, one item per line.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseSettingsFromEnv, createClickHouseClient } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { REPO_ROOT } from '../../../../test/harness/infra.ts';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { uniqueName } from '../../../../test/harness/names.ts';
import type { RecordedStripeRequest, StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import { consumer, creates, PERIOD, PLANS_FILE, runWithProxy, seedConsumers, seedUsage, startProxy } from '../helpers.ts';

let proxy: StripeProxy;
beforeAll(async () => {
  proxy = await startProxy();
});
afterAll(() => proxy.close());

const meta = (r: RecordedStripeRequest) => r.params.metadata as Record<string, string>;

/** Every customer has one invoice, every invoice line one invoice item, and each invoice is finalized. */
function expectNoDuplicates(requests: RecordedStripeRequest[], customers: string[], linesPerCustomer: number): void {
  const invoices = creates(requests, /^\/v1\/invoices$/);
  expect(invoices.map((r) => meta(r).tollgate_consumer_id).sort()).toEqual([...customers].sort());
  const items = creates(requests, /^\/v1\/invoiceitems$/);
  const keys = items.map((r) => `${meta(r).tollgate_consumer_id}/${meta(r).tollgate_line_key}`);
  expect(new Set(keys).size).toBe(keys.length);
  expect(keys).toHaveLength(customers.length * linesPerCustomer);
  for (const invoice of invoices) {
    expect(items.filter((i) => i.params.invoice === invoice.responseId)).toHaveLength(linesPerCustomer);
    expect(requests.some((r) => r.path === `/v1/invoices/${invoice.responseId}/finalize` && r.status === 200)).toBe(true);
  }
}

const customers = Array.from({ length: 12 }, (_, i) => `cust-${String(i).padStart(2, '0')}`);

async function seed(ch: { client: TestClickHouse['client']; database: string }): Promise<void> {
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  await seedConsumers(ch.client, ch.database, customers.map((id) => consumer(id, 'basic')));
  await seedUsage(ch.client, ch.database, customers.map((id, i) => ({ consumer: id, api: 'orders', n: 150 + i })));
}

describe('billing resilience', () => {
  it('Stripe answering 429 and 500 to a third of the requests: the run completes with the right invoices and no duplicate', async () => {
    const ch = await testClickHouse('billing_flaky');
    await seed(ch);
    proxy.reset();
    proxy.failures({ rate: 0.33, statuses: [429, 500], seed: 7 });
    const result = await runWithProxy(ch.client, ch.database, proxy);
    proxy.failures({ rate: 0 });
    expect(proxy.requests.filter((r) => r.injected).length).toBeGreaterThan(10);
    expect(result.totals).toMatchObject({ invoices: 12, failures: 0 });
    expectNoDuplicates(proxy.requests, customers, 2);
    // 150 + i calls, 100 included, 0.01 each, plus the 10.00 base fee.
    for (const [i, id] of customers.entries()) {
      expect(result.customers.find((c) => c.consumer_id === id)?.amount_minor).toBe(1000 + 50 + i);
    }
    await ch.client.close();
  });

  it('a run killed halfway and started again finishes with one invoice per customer and no duplicate item', async () => {
    // The CLI runs in its own process on its own data folder: seed it here, then let go of it.
    const dataDir = `${REPO_ROOT}.local/test-chdb/billing-kill-${process.pid}`;
    const database = uniqueName('billing_kill');
    const client = await createClickHouseClient(clickHouseSettingsFromEnv({ CLICKHOUSE_DATA_DIR: dataDir }));
    await seed({ client, database });
    await client.close();

    proxy.reset();
    proxy.latency(40);
    const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
    const env = {
      ...process.env,
      CLICKHOUSE_DATA_DIR: dataDir,
      CLICKHOUSE_DATABASE: database,
      BILLING_PLANS_FILE: PLANS_FILE,
      STRIPE_API_BASE: proxy.url,
      BILLING_STRIPE_CONCURRENCY: '3',
      BILLING_URL: 'http://127.0.0.1:1',
    };
    const run = () => spawn(process.execPath, ['--import', 'tsx', cli, 'run', '--period', PERIOD, '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });

    const first = run();
    let firstErr = '';
    first.stderr.on('data', (d: Buffer) => (firstErr += d.toString()));
    while (creates(proxy.requests, /^\/v1\/invoiceitems$/).length < 8) {
      if (first.exitCode !== null) throw new Error(`the first run ended before it was killed (${first.exitCode}): ${firstErr}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const invoicedBeforeKill = proxy.requests.filter((r) => /\/finalize$/.test(r.path)).length;
    expect(invoicedBeforeKill).toBeLessThan(12);

    proxy.latency(0);
    const second = run();
    let out = '';
    second.stdout.on('data', (d: Buffer) => (out += d.toString()));
    let secondErr = '';
    second.stderr.on('data', (d: Buffer) => (secondErr += d.toString()));
    const code = await new Promise((r) => second.once('exit', r));
    expect(code, `${secondErr}\n${out}`).toBe(0);
    const result = JSON.parse(out) as { totals: { invoices: number; failures: number } };
    expect(result.totals.failures).toBe(0);
    expectNoDuplicates(proxy.requests, customers, 2);
  });
});
