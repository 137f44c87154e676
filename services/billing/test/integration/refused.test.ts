// Calls Tollgate's gateway policy refused (api_requests.decision, stored by the enricher with
// billable = false) are never billed and never count against a quota: a dry run's usage and the
// quota book's used count leave them out, while the same calls allowed would count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { clickHouseTime } from '@tollgate/platform';
import { loadPlansFile, periodOf } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import type { StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import { QuotaBook } from '../../src/quota-book.ts';
import { consumer, inPeriod, PERIOD, PLANS_FILE, runWithProxy, seedConsumers, startProxy } from '../helpers.ts';

let ch: TestClickHouse;
let proxy: StripeProxy;

/** n calls of `consumer` at `at`, as the enricher stores them: refused ones never billable. */
function calls(prefix: string, consumerId: string, plan: string, n: number, at: string, status: number, decision: string): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => ({
    event_id: `${prefix}-${i}`, ts: at, consumer_id: consumerId, plan_id: plan, api: 'orders', method: 'GET',
    status, status_class: `${Math.floor(status / 100)}xx`, billable: decision === '' || decision === 'allow', decision,
  }));
}

beforeAll(async () => {
  ch = await testClickHouse('billing_refused');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  proxy = await startProxy();
  await seedConsumers(ch.client, ch.database, [consumer('alice', 'basic'), consumer('capped-user', 'capped')]);
  const closed = inPeriod(4);
  const current = clickHouseTime(periodOf(new Date()).start);
  await ch.client.insert({
    table: `${ch.database}.api_requests`,
    values: [
      // The closed period: alice on basic (100 included, then 0.01 EUR; 4xx bills by default).
      ...calls('a-none', 'alice', 'basic', 100, closed, 200, ''),
      ...calls('a-allow', 'alice', 'basic', 20, closed, 200, 'allow'),
      ...calls('a-quota', 'alice', 'basic', 50, closed, 429, 'quota'),
      ...calls('a-rate', 'alice', 'basic', 10, closed, 429, 'rate'),
      ...calls('a-blocked', 'alice', 'basic', 5, closed, 403, 'blocked'),
      // The current period: a hard quota of 50 with 30 calls allowed and 40 refused at the limit.
      ...calls('c-allow', 'capped-user', 'capped', 30, current, 200, 'allow'),
      ...calls('c-quota', 'capped-user', 'capped', 40, current, 429, 'quota'),
      ...calls('c-suspended', 'capped-user', 'capped', 5, current, 403, 'suspended'),
    ],
    format: 'JSONEachRow',
  });
});
afterAll(async () => {
  await proxy.close();
  await ch.client.close();
});

describe('calls refused by policy', () => {
  it('are not in a dry run\'s usage, revenue or lost revenue', async () => {
    const dry = await runWithProxy(ch.client, ch.database, proxy, { period: PERIOD, dryRun: true, customer: 'alice' });
    expect(proxy.requests).toEqual([]);
    // 120 allowed calls: 20 beyond the 100 included, 20 cents; the 65 refused calls would have made it 85.
    expect(dry.customers.find((c) => c.consumer_id === 'alice')).toMatchObject({
      outcome: 'draft',
      amount_minor: 1020,
      lines: [{ key: 'base_fee', amount_minor: 1000 }, { key: 'calls', units: 120, included_units: 100, billable_units: 20, amount_minor: 20 }],
    });
    expect(dry.totals.lost_revenue_minor).toEqual({ EUR: 0 });
  });

  it('do not count against a quota: the book counts the allowed calls only', async () => {
    const book = new QuotaBook(ch.client, ch.database, await loadPlansFile(PLANS_FILE), pino({ level: 'silent' }));
    await book.refresh();
    expect(book.check('capped-user')).toMatchObject({ known: true, used: 30, state: { limit: 50, used: 30, remaining: 20, exceeded: false, blocked: false } });
  });
});
