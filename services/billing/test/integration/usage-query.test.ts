// Usage for billing is deduplicated by event id within a consumer, never across consumers; read
// from migration 0010's month sums (with consumers whose ids repeat read raw), it equals the raw
// table's deduplicated usage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { usageForPeriod, usageFromRaw, type UsageByConsumer } from '../../src/usage-query.ts';
import { inPeriod, PERIOD, seedUsage } from '../helpers.ts';
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

  it('reads the same usage from the month sums as from the raw table, for everyone and for one consumer', async () => {
    const period = parsePeriod(PERIOD);
    const rows = [
      { consumer: 'carol', api: 'orders', n: 700, plan: 'basic', requestBytes: 10, responseBytes: 999 },
      { consumer: 'carol', api: 'search', n: 40, status: 404, method: 'post', plan: 'basic' },
      { consumer: 'carol', api: 'orders', n: 9, status: 503, plan: 'pro', at: inPeriod(20, 7) },
      { consumer: 'carol', api: 'health', n: 50, billable: false, plan: 'basic' },
      { consumer: 'dave', api: 'orders', n: 300, plan: '', at: inPeriod(0) },
      { consumer: 'dave', api: 'orders', n: 5, at: inPeriod(-1) }, // the month before
      { consumer: '', api: 'orders', n: 12 },
    ];
    await seedUsage(ch.client, ch.database, rows);
    // Dave's gateway ships 20 events twice.
    await ch.client.command({
      query: `INSERT INTO ${ch.database}.api_requests SELECT * FROM ${ch.database}.api_requests WHERE consumer_id = 'dave' AND ts >= {from:DateTime64(3, 'UTC')} ORDER BY event_id LIMIT 20`,
      query_params: { from: inPeriod(0) },
    });
    const text = (row: unknown): string => JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
    const normal = (usage: UsageByConsumer) =>
      [...usage]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([consumer, groups]) => [consumer, groups.map((g) => ({ ...g, rows: g.rows.map(text).sort() })).sort((x, y) => (x.planId < y.planId ? -1 : 1))]);
    const fromSums = await usageForPeriod(ch.client, ch.database, period);
    expect(normal(fromSums)).toEqual(normal(await usageFromRaw(ch.client, ch.database, period)));
    expect(fromSums.get('dave')?.flatMap((g) => g.rows).reduce((n, r) => n + Number(r.requests), 0)).toBe(300);
    for (const consumer of ['carol', 'dave', 'alice']) {
      expect(normal(await usageForPeriod(ch.client, ch.database, period, consumer))).toEqual(normal(await usageFromRaw(ch.client, ch.database, period, [consumer])));
    }
  });

  it('counts an id a consumer sends again days later once (the enricher drops only copies with the same timestamp)', async () => {
    const period = parsePeriod(PERIOD);
    const row = (day: number) => ({ event_id: 'e-9', ts: inPeriod(day), consumer_id: 'erin', api: 'orders', method: 'GET', status: 200, status_class: '2xx', billable: true });
    // Two inserts, two parts: the month tables see the repeat only once their keys are merged.
    for (const day of [5, 9]) await ch.client.insert({ table: `${ch.database}.api_requests`, values: [row(day)], format: 'JSONEachRow' });
    const calls = (usage: UsageByConsumer): number => (usage.get('erin') ?? []).flatMap((g) => g.rows).reduce((n, r) => n + Number(r.requests), 0);
    expect(calls(await usageForPeriod(ch.client, ch.database, period))).toBe(1);
    expect(calls(await usageForPeriod(ch.client, ch.database, period, 'erin'))).toBe(1);
    expect(calls(await usageFromRaw(ch.client, ch.database, period, ['erin']))).toBe(1);
  });
});
