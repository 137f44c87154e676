// Usage for billing is deduplicated by event id within a consumer, never across consumers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { usageForPeriod } from '../../src/usage-query.ts';
import { inPeriod, PERIOD } from '../helpers.ts';
import { parsePeriod } from '@tollgate/pricing';

let ch: TestClickHouse;

beforeAll(async () => {
  ch = await testClickHouse('billing_usage_query');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  const row = (event_id: string, consumer_id: string) => ({ event_id, ts: inPeriod(3), consumer_id, api: 'orders', method: 'GET', status: 200, status_class: '2xx', billable: true });
  await ch.client.insert({
    table: `${ch.database}.api_requests`,
    // e-1 shipped twice by alice's gateway; bob's traffic reuses alice's ids e-1 and e-2.
    values: [row('e-1', 'alice'), row('e-1', 'alice'), row('e-2', 'alice'), row('e-1', 'bob'), row('e-2', 'bob'), row('e-3', 'bob')],
    format: 'JSONEachRow',
  });
});
afterAll(async () => {
  await ch.client.close();
});

describe('usage for a period', () => {
  it('counts an event id once per consumer: a duplicate shipment once, another consumer\'s reuse of the id for that consumer', async () => {
    const usage = await usageForPeriod(ch.client, ch.database, parsePeriod(PERIOD));
    const calls = (id: string) => (usage.get(id) ?? []).flatMap((group) => group.rows).reduce((n, r) => n + Number(r.requests), 0);
    expect(calls('alice')).toBe(2);
    expect(calls('bob')).toBe(3);
  });
});
