// Calls refused by Tollgate's gateway policy on the embedded engine: the refused_by_policy query
// per consumer and API (rollups and raw edges alike), and revenue that counts them neither as
// revenue nor as revenue lost — though plans bill 4xx calls by default, which refusals are.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyConsumer, writeConsumers } from '@tollgate/registry';
import type { TestClickHouse } from '../../../test/harness/clickhouse.ts';
import { fixedDay } from './seed.ts';
import { startTestDashboard, type TestDashboard } from './helpers.ts';

type Rows = Record<string, string | number | null>[];
const HOUR = 3_600_000;
const { day, early } = fixedDay();
const iso = (ms: number): string => new Date(ms).toISOString();
const DAY_RANGE = `from=${iso(day.getTime())}&to=${iso(day.getTime() + 24 * HOUR)}`;
/** The traffic is spread over 50 seconds of one minute: a range within that minute is read from the raw table alone. */
const RAW_RANGE = `from=${iso(early.getTime() + 500)}&to=${iso(early.getTime() + 59_000)}`;

/** [consumer, plan, api, status, decision ('' = none logged), count] */
type Batch = [string, string, string, number, string, number];
const TRAFFIC: readonly Batch[] = [
  ['alice', 'starter', 'search', 200, '', 100],
  ['alice', 'starter', 'search', 200, 'allow', 50],
  ['alice', 'starter', 'search', 503, 'allow', 2],
  ['alice', 'starter', 'search', 429, 'quota', 40],
  ['alice', 'starter', 'search', 429, 'rate', 10],
  ['alice', 'starter', 'geo', 403, 'blocked', 5],
  ['bob', 'business', 'payments', 403, 'not_entitled', 3],
  ['', '', 'search', 401, 'unknown_consumer', 2],
];

async function seedRefusals(ch: TestClickHouse): Promise<void> {
  await writeConsumers(ch.client, ch.database, [
    { ...emptyConsumer('alice'), org_id: 'acme', plan_id: 'starter' },
    { ...emptyConsumer('bob'), org_id: 'acme', plan_id: 'business' },
  ]);
  const total = TRAFFIC.reduce((sum, b) => sum + b[5], 0);
  const rows: Record<string, unknown>[] = [];
  for (const [consumer, plan, api, status, decision, count] of TRAFFIC) {
    for (let n = 0; n < count; n++) {
      const i = rows.length;
      rows.push({
        event_id: `r-${i}`,
        ts: iso(early.getTime() + 1_000 + Math.floor((i * 50_000) / total)),
        api, method: 'GET', status, status_class: `${Math.floor(status / 100)}xx`,
        // As the enricher stores them: a refusal is never billable.
        billable: decision === '' || decision === 'allow', decision,
        consumer_id: consumer, consumer_known: consumer !== '', org_id: consumer === '' ? '' : 'acme', plan_id: plan,
      });
    }
  }
  await ch.client.insert({ table: `${ch.database}.api_requests`, values: rows, format: 'JSONEachRow', clickhouse_settings: { date_time_input_format: 'best_effort' } });
}

let t: TestDashboard;
beforeAll(async () => {
  t = await startTestDashboard('dash_refused', seedRefusals);
});
afterAll(async () => t?.close());

async function rows(name: string, query: string): Promise<Rows> {
  const { status, body } = await t.get(`/v1/queries/${name}?${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.rows as Rows;
}

describe('refused by policy', () => {
  const ALL: Rows = [
    { consumer_id: 'alice', api: 'search', refused: 50, quota: 40, rate: 10, not_entitled: 0, suspended: 0, blocked: 0, unknown_consumer: 0 },
    { consumer_id: 'alice', api: 'geo', refused: 5, quota: 0, rate: 0, not_entitled: 0, suspended: 0, blocked: 5, unknown_consumer: 0 },
    { consumer_id: 'bob', api: 'payments', refused: 3, quota: 0, rate: 0, not_entitled: 3, suspended: 0, blocked: 0, unknown_consumer: 0 },
    { consumer_id: '', api: 'search', refused: 2, quota: 0, rate: 0, not_entitled: 0, suspended: 0, blocked: 0, unknown_consumer: 2 },
  ];

  it('counts refused calls per consumer and API by decision, the same from the rollups and from the raw table', async () => {
    expect(await rows('refused_by_policy', DAY_RANGE)).toEqual(ALL);
    expect(await rows('refused_by_policy', RAW_RANGE)).toEqual(ALL);
  });

  it('narrows to one consumer or one API, and lists itself with its columns', async () => {
    expect(await rows('refused_by_policy', `${DAY_RANGE}&consumer=alice&limit=1`)).toEqual([ALL[0]]);
    expect(await rows('refused_by_policy', `${RAW_RANGE}&api=payments`)).toEqual([ALL[2]]);
    const { body } = await t.get('/v1/queries');
    const listed = (body.queries as { name: string; columns: { name: string }[] }[]).find((q) => q.name === 'refused_by_policy');
    expect(listed?.columns.map((c) => c.name)).toEqual(Object.keys(ALL[0]!));
  });

  it('refused calls are calls, but not billable ones', async () => {
    const [alice] = await rows('top_consumers', `${DAY_RANGE}&limit=1`);
    expect(alice).toMatchObject({ consumer_id: 'alice', calls: 207, billable_calls: 152 });
  });

  it('prices revenue and revenue lost without the refused calls, from the rollups, the raw table and the month', async () => {
    // alice (starter, EUR): 150 allowed 2xx calls - 100 included = 50 × 0.01 = 50 cents; her 2
    // allowed 5xx calls lose 2 cents. Her 55 refused 4xx calls (4xx bills by default) would have
    // added 55 cents to either; they add to neither. bob's 3 refused calls are all he made: no invoice.
    const expected = [['alice', 'EUR', 152, '50', '1000', '2']];
    const pick = (r: Rows): unknown[] => r.map((x) => [x.consumer_id, x.currency, x.calls, x.usage_revenue_minor, x.base_fee_minor, x.lost_revenue_minor]);
    expect(pick(await rows('revenue_by_consumer', DAY_RANGE))).toEqual(expected);
    expect(pick(await rows('revenue_by_consumer', RAW_RANGE))).toEqual(expected);
    const monthStart = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1);
    expect(pick(await rows('revenue_by_consumer', `from=${iso(monthStart)}&to=now`))).toEqual(expected);
    const byApi = await rows('revenue_by_api', DAY_RANGE);
    expect(byApi.map((r) => [r.api, r.revenue_minor, r.lost_revenue_minor])).toEqual([['search', '50', '2']]);
  });
});
