// Revenue over adjacent windows adds up to revenue over their union (queries/revenue.ts, marginal
// per month and consumer), per API and per consumer, on the embedded engine with real rows:
// 45 days of traffic before now, so windows cut a month, end on a month boundary, and read day,
// hour and minute rollups, month totals and raw rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyConsumer, writeConsumers } from '@tollgate/registry';
import { startTestDashboard, type TestDashboard } from './helpers.ts';

type Rows = Record<string, string | number | null>[];
const DAY = 86_400_000;
const now = Date.now();
const monthStart = (ms: number): number => Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), 1);
const iso = (ms: number): string => new Date(ms).toISOString();
let t: TestDashboard;

beforeAll(async () => {
  t = await startTestDashboard('dash_rev', async ({ client, database }) => {
    const consumer = (id: string, plan: string) => ({ ...emptyConsumer(id), org_id: 'acme', name: id, email: `${id}@example.com`, plan_id: plan });
    await writeConsumers(client, database, [consumer('alice', 'starter'), consumer('bob', 'business'), consumer('jun', 'jp')]);
    // 30 000 calls over the 45 days before now (one every ~130 s): enough for alice to pass her
    // included units in every month, bob to use the payments override, jun to send unmetered methods.
    await client.command({
      query: `INSERT INTO ${database}.api_requests (event_id, ts, consumer_id, plan_id, api, method, status, status_class, billable, request_bytes, response_bytes)
        SELECT concat('r', toString(number)), fromUnixTimestamp64Milli(toInt64(${now - 45 * DAY} + number * ${Math.floor((45 * DAY) / 30_000)})),
               ['alice', 'alice', 'bob', 'jun', 'anon'][number % 5 + 1] AS c, multiIf(c = 'alice', 'starter', c = 'bob', 'business', c = 'jun', 'jp', ''),
               ['search', 'geo', 'payments'][number % 3 + 1], ['GET', 'POST', 'OPTIONS', 'GET'][intDiv(number, 5) % 4 + 1],
               [200, 201, 404, 500, 503, 200, 200][number % 7 + 1] AS s, concat(toString(intDiv(s, 100)), 'xx'), s < 500, 100, 1000
        FROM numbers(30000)`,
    });
  });
});
afterAll(async () => t?.close());

async function rows(name: string, from: number, to: number): Promise<Rows> {
  const limit = name === 'revenue_summary' ? '' : '&limit=1000';
  const { status, body } = await t.get(`/v1/queries/${name}?from=${iso(from)}&to=${iso(to)}${limit}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.rows as Rows;
}

/** key → summed money columns, zero entries dropped. */
function totals(rs: Rows, key: (r: Rows[number]) => string, columns: readonly string[]): Map<string, string[]> {
  const sums = new Map<string, bigint[]>();
  for (const r of rs) {
    const k = key(r);
    const s = sums.get(k) ?? columns.map(() => 0n);
    columns.forEach((c, i) => (s[i]! += BigInt(r[c] as string | number)));
    sums.set(k, s);
  }
  return new Map([...sums].filter(([, s]) => s.some((v) => v !== 0n)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, s]) => [k, s.map(String)]));
}

const QUERIES = [
  { name: 'revenue_by_api', key: (r: Rows[number]) => `${r.api} ${r.currency}`, columns: ['revenue_minor', 'lost_revenue_minor'] },
  { name: 'revenue_by_consumer', key: (r: Rows[number]) => `${r.consumer_id} ${r.currency}`, columns: ['calls', 'usage_revenue_minor', 'base_fee_minor', 'revenue_minor', 'lost_revenue_minor'] },
  { name: 'revenue_summary', key: (r: Rows[number]) => String(r.currency), columns: ['calls', 'revenue_minor', 'base_fee_minor', 'lost_revenue_minor', 'unpriced_calls'] },
] as const;

describe('revenue over adjacent windows', () => {
  const month = monthStart(now);
  const cuts: [string, number, number, number][] = [
    ['across the month boundary, ragged edges', now - 40 * DAY + 7 * 3_600_000 + 13 * 60_000 + 417, month - 2 * DAY - 5 * 60_000 - 999, now - 1_234],
    ['ending on the month boundary', now - 44 * DAY, month, now],
    ['from the month boundary, cut mid-month', month, month + Math.floor((now - month) / 2) + 777, now],
    ['two months, cut at a whole day', monthStart(now - 44 * DAY), Math.floor((now - 20 * DAY) / DAY) * DAY, now],
  ];

  it.each(cuts)('%s: revenue(a, b) + revenue(b, c) = revenue(a, c), per API and per consumer', async (_label, a, b, c) => {
    for (const q of QUERIES) {
      const [ab, bc, ac] = await Promise.all([rows(q.name, a, b), rows(q.name, b, c), rows(q.name, a, c)]);
      const sum = totals([...ab, ...bc], q.key, q.columns);
      expect(sum, q.name).toEqual(totals(ac, q.key, q.columns));
    }
  });
});
