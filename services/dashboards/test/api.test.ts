// The query API on the embedded engine with seeded traffic: every named query, parameter
// validation, auth (admin and consumer tokens), rollup/raw consistency and exact revenue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callsOf, EARLY, fixedDay, LATE, seed } from './seed.ts';
import { ADMIN_TOKEN, ALICE_TOKEN, startTestDashboard, type TestDashboard } from './helpers.ts';

type Rows = Record<string, string | number | null>[];
let t: TestDashboard;
const { day, early, late } = fixedDay();
const HOUR = 3_600_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const DAY_RANGE = `from=${iso(day.getTime())}&to=${iso(day.getTime() + 24 * HOUR)}`;
const ALL = callsOf(EARLY) + callsOf(LATE);

async function rows(name: string, query: string): Promise<Rows> {
  const { status, body } = await t.get(`/v1/queries/${name}?${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.rows as Rows;
}

beforeAll(async () => {
  t = await startTestDashboard('dash_api', (ch) =>
    seed(ch.client, ch.database, [
      { start: early, spreadMs: HOUR, batches: EARLY },
      { start: late, spreadMs: HOUR / 2, batches: LATE },
    ]),
  );
});
afterAll(async () => t?.close());

describe('named queries', () => {
  it('lists every query with its parameters', async () => {
    const { status, body } = await t.get('/v1/queries');
    expect(status).toBe(200);
    const queries = body.queries as { name: string; params: { name: string; type: string; required: boolean }[] }[];
    expect(queries.map((q) => q.name)).toEqual(expect.arrayContaining(['top_apis', 'calls_by_city', 'revenue_by_api', 'latency_by_upstream', 'status_over_time']));
    const top = queries.find((q) => q.name === 'top_apis')!;
    expect(top.params).toContainEqual(expect.objectContaining({ name: 'limit', type: 'integer', required: false, default: 10, min: 1, max: 1000 }));
  });

  it('ranks APIs by calls, the same from the day rollup, the hour rollup and the raw table', async () => {
    const expected = [
      { api: 'search', calls: callsOf([...EARLY, ...LATE], (b) => b[1] === 'search') },
      { api: 'geo', calls: callsOf(EARLY, (b) => b[1] === 'geo') },
      { api: 'payments', calls: callsOf([...EARLY, ...LATE], (b) => b[1] === 'payments') },
    ];
    const byDay = await rows('top_apis', DAY_RANGE);
    expect(byDay.map(({ api, calls }) => ({ api, calls }))).toEqual(expected);
    expect(byDay[0]).toMatchObject({ client_errors: 10, server_errors: 5, billable_calls: 164 });
    const byHour = await rows('top_apis', `from=${iso(early.getTime() - HOUR)}&to=${iso(late.getTime() + HOUR)}`);
    const raw = await rows('top_apis', `from=${iso(early.getTime() - 1500)}&to=${iso(late.getTime() + HOUR + 1500)}`);
    expect(byHour).toEqual(byDay);
    expect(raw).toEqual(byDay);
    // A range covering only the late block.
    const lateOnly = await rows('top_apis', `from=${iso(late.getTime())}&to=${iso(late.getTime() + HOUR)}&limit=1`);
    expect(lateOnly).toEqual([expect.objectContaining({ api: 'search', calls: 8 })]);
  });

  it('answers ragged ranges (days, hours, minutes and sub-minute edges in one range) exactly as the raw table', async () => {
    const raw = async (from: number, to: number): Promise<[string, number][]> => {
      const result = await t.ch.client.query({
        query: `SELECT api, count() AS calls FROM ${t.ch.database}.api_requests
          WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')} GROUP BY api ORDER BY calls DESC, api`,
        query_params: { from: iso(from).replace('T', ' ').replace('Z', ''), to: iso(to).replace('T', ' ').replace('Z', '') },
        format: 'JSONEachRow',
      });
      return (await result.json<{ api: string; calls: string }>()).map((r) => [r.api, Number(r.calls)]);
    };
    const MINUTE = 60_000;
    const ranges: [number, number][] = [
      [early.getTime() + 17 * MINUTE + 300, late.getTime() + 10 * MINUTE + 700], // sub-minute, minute and hour edges
      [early.getTime() + 17 * MINUTE, late.getTime() + 10 * MINUTE], // minute and hour edges
      [day.getTime() - 23 * HOUR - 5 * MINUTE, late.getTime() + 20 * MINUTE + 1], // a whole day, hours, minutes, raw
      [early.getTime() + 59 * MINUTE + 59_000, early.getTime() + 60 * MINUTE + 30_000], // across an hour, within a minute
      [late.getTime() + 5 * MINUTE, late.getTime() + 6 * MINUTE], // one minute
    ];
    for (const [from, to] of ranges) {
      const expected = await raw(from, to);
      const range = `from=${iso(from)}&to=${iso(to)}`;
      expect((await rows('top_apis', range)).map((r) => [r.api, r.calls]), range).toEqual(expected);
      const total = expected.reduce((sum, [, calls]) => sum + calls, 0);
      for (const interval of ['minute', 'hour', 'day']) {
        const series = await rows('calls_over_time', `${range}&interval=${interval}`);
        expect(series.reduce((sum, r) => sum + Number(r.calls), 0), `${range} ${interval}`).toBe(total);
      }
      const usage = await t.get(`/v1/usage?${range}&interval=hour`);
      expect((usage.body.rows as Rows).reduce((sum, r) => sum + Number(r.calls), 0)).toBe(total);
    }
    // Hourly buckets of a ragged range equal the raw table's per-hour counts.
    const [from, to] = ranges[0]!;
    const hourly = await rows('calls_over_time', `from=${iso(from)}&to=${iso(to)}&interval=hour`);
    const result = await t.ch.client.query({
      query: `SELECT toStartOfHour(ts) AS bucket, count() AS calls FROM ${t.ch.database}.api_requests
        WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')} GROUP BY bucket ORDER BY bucket`,
      query_params: { from: iso(from).replace('T', ' ').replace('Z', ''), to: iso(to).replace('T', ' ').replace('Z', '') },
      format: 'JSONEachRow',
    });
    const rawHourly = (await result.json<{ bucket: string; calls: string }>()).map((r) => Number(r.calls));
    expect(hourly.map((r) => r.calls)).toEqual(rawHourly);
    expect(rawHourly.length).toBeGreaterThan(1);
  });

  it('counts calls and statuses over time', async () => {
    const hourly = await rows('calls_over_time', `${DAY_RANGE}&interval=hour`);
    expect(hourly.map((r) => [r.bucket, r.calls])).toEqual([
      [iso(early.getTime()).replace('.000', ''), callsOf(EARLY)],
      [iso(late.getTime()).replace('.000', ''), callsOf(LATE)],
    ]);
    const status = await rows('status_over_time', `${DAY_RANGE}&interval=day&api=payments`);
    expect(status).toEqual([{ bucket: iso(day.getTime()).replace('.000', ''), api: 'payments', success: 44, client_error: 0, server_error: 5, other: 0 }]);
    const minutes = await rows('calls_over_time', `from=${iso(late.getTime())}&to=${iso(late.getTime() + HOUR)}&interval=minute`);
    expect(minutes.reduce((sum, r) => sum + Number(r.calls), 0)).toBe(callsOf(LATE));
    expect(minutes.length).toBeGreaterThan(10);
  });

  it('maps calls by country and city', async () => {
    const countries = await rows('calls_by_country', DAY_RANGE);
    expect(countries.map((r) => [r.country, r.calls])).toEqual([['DE', 173], ['US', 69], ['JP', 23], ['', 6]]);
    const cities = await rows('calls_by_city', `${DAY_RANGE}&api=geo`);
    expect(cities).toEqual([
      { country: 'DE', region: 'BE', city: 'Berlin', latitude: 52.52, longitude: 13.405, calls: 30 },
      { country: 'JP', region: '13', city: 'Tokyo', latitude: 35.6895, longitude: 139.6917, calls: 23 },
    ]);
  });

  it('ranks consumers (with registry names) and organisations', async () => {
    const consumers = await rows('top_consumers', `${DAY_RANGE}&limit=2`);
    expect(consumers).toEqual([
      { consumer_id: 'alice', name: 'Alice Example', org_id: 'acme', plan_id: 'starter', calls: 173, billable_calls: 168, client_errors: 10, server_errors: 5 },
      { consumer_id: 'bob', name: 'Bob Example', org_id: 'acme', plan_id: 'business', calls: 69, billable_calls: 64, client_errors: 0, server_errors: 5 },
    ]);
    const orgs = await rows('top_organisations', DAY_RANGE);
    expect(orgs.map((r) => [r.org_id, r.consumers, r.calls])).toEqual([['acme', 2, 242], ['nippon', 1, 23], ['', 1, 6]]);
  });

  it('prices revenue and lost revenue with the plans, in integer minor units', async () => {
    const byApi = await rows('revenue_by_api', DAY_RANGE);
    const pick = (r: Rows): unknown[] => r.map((x) => [x.api ?? x.consumer_id, x.currency, x.revenue_minor, x.lost_revenue_minor]);
    // alice (starter, EUR): 168 billable - 100 included = 68 × 0.01 = 68 cents, split search 138 : geo 30 → 56 + 12.
    // bob (business, USD): search 20 × 0.02 = 40; payments override 44 × 0.05 = 220; 5 failed payments lose 25.
    // jun (jp, JPY): 15 GET × 3 = 45 (OPTIONS is not metered); 3 failed POSTs lose 9.
    expect(pick(byApi)).toEqual([
      ['payments', 'USD', '220', '25'],
      ['search', 'EUR', '56', '5'],
      ['geo', 'JPY', '45', '9'],
      ['search', 'USD', '40', '0'],
      ['geo', 'EUR', '12', '0'],
    ]);
    expect(byApi[0]).toMatchObject({ revenue: '2.20 USD', lost_revenue: '0.25 USD' });
    const byConsumer = await rows('revenue_by_consumer', DAY_RANGE);
    expect(byConsumer.map((r) => [r.consumer_id, r.currency, r.usage_revenue_minor, r.base_fee_minor, r.revenue_minor, r.lost_revenue_minor])).toEqual([
      ['alice', 'EUR', '68', '1000', '1068', '5'],
      ['bob', 'USD', '260', '0', '260', '25'],
      ['jun', 'JPY', '45', '0', '45', '9'],
    ]);
    const summary = await rows('revenue_summary', DAY_RANGE);
    expect(summary.map((r) => [r.currency, r.revenue_minor, r.lost_revenue_minor, r.unpriced_calls])).toEqual([
      ['EUR', '1068', '5', 0],
      ['JPY', '45', '9', 0],
      ['USD', '260', '25', 0],
      ['', '0', '0', 6],
    ]);
    // The raw path (unaligned range) prices the same.
    expect(await rows('revenue_by_consumer', `from=${iso(day.getTime() + 1)}&to=${iso(day.getTime() + 24 * HOUR - 1)}`)).toEqual(byConsumer);
    // So does a range from the start of the month to now, read as the month's total minus the rest.
    const monthStart = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1);
    const toDate = `from=${iso(monthStart)}&to=now`;
    expect(await rows('revenue_by_consumer', toDate)).toEqual(byConsumer);
    expect(pick(await rows('revenue_by_api', toDate))).toEqual(pick(byApi));
  });

  it('reports latency percentiles per API and upstream service from the latency tables', async () => {
    const byApi = await rows('latency_by_api', DAY_RANGE);
    expect(byApi.map((r) => [r.api, r.requests])).toEqual([['search', 169], ['payments', 49], ['geo', 53]].sort((a, b) => Number(b[1]) - Number(a[1])));
    for (const r of byApi) {
      expect(Number(r.p50_ms)).toBeGreaterThan(0);
      expect(Number(r.p50_ms)).toBeLessThanOrEqual(Number(r.p95_ms));
      expect(Number(r.p95_ms)).toBeLessThanOrEqual(Number(r.p99_ms));
      expect(Number(r.p99_ms)).toBeLessThanOrEqual(100);
    }
    const upstream = await rows('latency_by_upstream', `${DAY_RANGE}&api=search`);
    expect(upstream).toEqual([expect.objectContaining({ api: 'search', upstream_service: 'search-svc', requests: 169 })]);
    const raw = await rows('latency_by_api', `from=${iso(day.getTime() + 1)}&to=${iso(day.getTime() + 24 * HOUR)}`);
    expect(raw.map((r) => r.requests)).toEqual(byApi.map((r) => r.requests));
    const overTime = await rows('latency_over_time', `${DAY_RANGE}&interval=hour`);
    expect(overTime.map((r) => r.requests)).toEqual([callsOf(EARLY), callsOf(LATE)]);
  });
});

describe('validation', () => {
  it.each([
    ['top_apis?limit=0', 'limit'],
    ['top_apis?limit=1001', 'limit'],
    ['top_apis?limit=ten', 'limit'],
    ['top_apis?from=yesterday', 'from'],
    ['top_apis?from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z', 'from'],
    ['calls_over_time?interval=week', 'interval'],
    ['top_apis?limt=5', 'limt'],
    ["top_apis?consumer=x'%20OR%201=1&limit=1&limit=2", 'limit'],
  ])('%s → 400 naming %s', async (path, param) => {
    const { status, body } = await t.get(`/v1/queries/${path}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ error: 'invalid_parameter', param });
    expect(String(body.message)).toContain(param);
  });

  it('passes values as query parameters, never as SQL', async () => {
    expect(await rows('top_apis', `${DAY_RANGE}&consumer=${encodeURIComponent("alice' OR 1=1 --")}`)).toEqual([]);
  });

  it('answers 404 for an unknown query', async () => {
    const { status, body } = await t.get('/v1/queries/drop_tables');
    expect(status).toBe(404);
    expect(body.error).toBe('unknown_query');
  });
});

describe('auth', () => {
  it('refuses missing and wrong tokens', async () => {
    expect((await t.get('/v1/queries', '')).status).toBe(401);
    expect((await t.get('/v1/queries/top_apis', 'wrong-token-0123456789')).status).toBe(401);
    expect((await t.get('/v1/usage', '')).status).toBe(401);
  });

  it('gives consumer tokens 403 on the admin queries', async () => {
    expect((await t.get('/v1/queries', ALICE_TOKEN)).status).toBe(403);
    expect((await t.get(`/v1/queries/top_apis?${DAY_RANGE}`, ALICE_TOKEN)).status).toBe(403);
  });

  it('scopes /v1/usage to the consumer of the token', async () => {
    const mine = await t.get(`/v1/usage?${DAY_RANGE}&interval=day`, ALICE_TOKEN);
    expect(mine.status).toBe(200);
    const own = mine.body.rows as Rows;
    expect(own.reduce((sum, r) => sum + Number(r.calls), 0)).toBe(173);
    expect(own.map((r) => [r.api, r.status_class, r.calls])).toEqual([['geo', '2xx', 30], ['search', '2xx', 128], ['search', '4xx', 10], ['search', '5xx', 5]]);
    expect((await t.get(`/v1/usage?${DAY_RANGE}&consumer=bob`, ALICE_TOKEN)).status).toBe(403);
    expect((await t.get(`/v1/usage?${DAY_RANGE}&consumer=alice`, ALICE_TOKEN)).status).toBe(200);
    const admin = await t.get(`/v1/usage?${DAY_RANGE}&consumer=bob`, ADMIN_TOKEN);
    expect((admin.body.rows as Rows).reduce((sum, r) => sum + Number(r.calls), 0)).toBe(69);
    const everyone = await t.get(`/v1/usage?${DAY_RANGE}`, ADMIN_TOKEN);
    expect((everyone.body.rows as Rows).reduce((sum, r) => sum + Number(r.calls), 0)).toBe(ALL);
  });

  it('serves the page and the ops routes without a token', async () => {
    const page = await fetch(`${t.service.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect((await fetch(`${t.service.url}/app.js`)).status).toBe(200);
    expect((await t.get('/healthz', '')).status).toBe(200);
    expect((await t.get('/readyz', '')).body).toMatchObject({ status: 'ready' });
    const metrics = await (await fetch(`${t.service.url}/metrics`)).text();
    expect(metrics).toContain('tollgate_dashboard_query_duration_seconds');
  });
});
