// Every panel of the Grafana dashboards, run for real: the panel's SQL with the ClickHouse
// plugin's macros expanded (as the plugin does, for a fixed time range) against the migrated
// schema on the embedded engine with seeded traffic. Each result must have the columns the panel
// declares (targets[].meta.expectedColumns), and key panels must show the seeded figures.
import { readdirSync, readFileSync } from 'node:fs';
import { migrate } from '@tollgate/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClickHouse, type TestClickHouse } from '../../../test/harness/clickhouse.ts';
import { callsOf, EARLY, fixedDay, LATE, seed } from './seed.ts';

interface Target { rawSql: string; meta: { expectedColumns: string[] } }
interface Panel { id: number; title: string; type: string; targets?: Target[] }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: { name: string }[] } }

const DIR = new URL('../../../dashboards/grafana/dashboards/', import.meta.url);
const dashboards = readdirSync(DIR).filter((f) => f.endsWith('.json')).map((file) => ({ file, dashboard: JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as Dashboard }));
const panels = dashboards.flatMap(({ file, dashboard }) => dashboard.panels.filter((p) => p.targets?.length).map((panel) => ({ file, panel })));

/**
 * The macros of grafana-clickhouse-datasource (pkg/macros/macros.go) and Grafana's template
 * variables, for a range [from, to] and a bucket interval. Unknown macros fail the test.
 */
export function expandMacros(sql: string, range: { from: Date; to: Date; intervalSeconds: number }, variables: Record<string, string>): string {
  const s = (d: Date): string => `toDateTime(${Math.floor(d.getTime() / 1000)})`;
  const ms = (d: Date): string => `fromUnixTimestamp64Milli(${d.getTime()})`;
  const date = (d: Date): string => `toDate('${d.toISOString().slice(0, 10)}')`;
  let out = sql.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)\b/g, (all, a: string | undefined, b: string | undefined) => {
    const name = a ?? b ?? '';
    if (name.startsWith('__')) return all;
    if (!(name in variables)) throw new Error(`unknown template variable ${all}`);
    return variables[name]!;
  });
  const withArgs: Record<string, (args: string[]) => string> = {
    timeFilter: ([c]) => `${c} >= ${s(range.from)} AND ${c} <= ${s(range.to)}`,
    timeFilter_ms: ([c]) => `${c} >= ${ms(range.from)} AND ${c} <= ${ms(range.to)}`,
    dateFilter: ([c]) => `${c} >= ${date(range.from)} AND ${c} <= ${date(range.to)}`,
    dateTimeFilter: ([d, t]) => `(${d} >= ${date(range.from)} AND ${d} <= ${date(range.to)}) AND (${t} >= ${s(range.from)} AND ${t} <= ${s(range.to)})`,
    timeInterval: ([c]) => `toStartOfInterval(toDateTime(${c}), INTERVAL ${Math.max(1, range.intervalSeconds)} second)`,
    timeInterval_ms: ([c]) => `toStartOfInterval(toDateTime64(${c}, 3), INTERVAL ${Math.max(1, range.intervalSeconds * 1000)} millisecond)`,
  };
  withArgs.dt = withArgs.dateTimeFilter!;
  out = out.replace(/\$__(\w+)\(([^()]*)\)/g, (all, name: string, args: string) => {
    const macro = withArgs[name];
    if (!macro) throw new Error(`unsupported macro ${all}`);
    return macro(args.split(',').map((a) => a.trim()));
  });
  const plain: Record<string, string> = {
    fromTime: s(range.from),
    toTime: s(range.to),
    fromTime_ms: ms(range.from),
    toTime_ms: ms(range.to),
    interval_s: String(Math.max(1, range.intervalSeconds)),
  };
  out = out.replace(/\$__(\w+)/g, (all, name: string) => {
    if (!(name in plain)) throw new Error(`unsupported macro ${all}`);
    return plain[name]!;
  });
  return out;
}

let ch: TestClickHouse;
const { day, early, late } = fixedDay();
const HOUR = 3_600_000;
const RANGE = { from: day, to: new Date(day.getTime() + 24 * HOUR - 1000), intervalSeconds: 3600 };

/** Seeded figures that key panels must show: [file, panel title, check]. */
const VALUES: [string, string, (rows: Record<string, unknown>[]) => void][] = [
  ['api-usage.json', 'Top APIs', (rows) => expect(rows.map((r) => [r.api, Number(r.calls)])).toEqual([['search', 169], ['geo', 53], ['payments', 49]])],
  ['api-usage.json', 'Calls per API', (rows) => expect(rows.reduce((n, r) => n + Number(r.calls), 0)).toBe(callsOf(EARLY) + callsOf(LATE))],
  ['geography.json', 'Calls by country', (rows) => expect(rows.map((r) => [r.country, Number(r.calls)])).toEqual([['DE', 173], ['US', 69], ['JP', 23], ['(unknown)', 6]])],
  ['geography.json', 'Calls by city', (rows) => expect(rows.map((r) => r.city)).toEqual(['Berlin', 'New York', 'Tokyo'])],
  ['consumers.json', 'Most active consumers', (rows) => expect([rows[0]?.consumer_id, rows[0]?.name, Number(rows[0]?.calls)]).toEqual(['alice', 'Alice Example', 173])],
  ['consumers.json', 'Most active organisations', (rows) => expect(rows.map((r) => [r.org_id, Number(r.calls)])).toEqual([['acme', 242], ['nippon', 23], ['', 6]])],
  ['revenue.json', 'Billable and non-billable calls by plan and API', (rows) => {
    const row = rows.find((r) => r.plan === 'business' && r.api === 'payments');
    expect([Number(row?.billable_calls), Number(row?.non_billable_calls)]).toEqual([44, 5]);
  }],
  ['errors-latency.json', 'Status mix', (rows) => expect(rows.map((r) => [r.time, Number(r.success), Number(r.client_error), Number(r.server_error)])).toEqual([
    [early.toISOString().replace('.000', ''), 236, 10, 12],
    [late.toISOString().replace('.000', ''), 12, 0, 1],
  ])],
  ['errors-latency.json', 'Latency per API and upstream service', (rows) => expect(rows.map((r) => [r.api, r.upstream_service, Number(r.requests)])).toEqual([['search', 'search-svc', 169], ['geo', 'geo-svc', 53], ['payments', 'payments-svc', 49]])],
];

beforeAll(async () => {
  ch = await testClickHouse('dash_grafana');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  await seed(ch.client, ch.database, [
    { start: early, spreadMs: HOUR, batches: EARLY },
    { start: late, spreadMs: HOUR / 2, batches: LATE },
  ]);
});
afterAll(async () => {
  await ch?.client.command({ query: `DROP DATABASE IF EXISTS ${ch.database}` });
  await ch?.client.close();
});

describe('grafana dashboards', () => {
  it('cover usage, geography, consumers, revenue, errors and latency, on the provisioned data source', () => {
    expect(dashboards.map((d) => d.file).sort()).toEqual(['api-usage.json', 'consumers.json', 'errors-latency.json', 'geography.json', 'revenue.json']);
    for (const { panel } of panels) {
      for (const target of panel.targets ?? []) expect(target.meta.expectedColumns.length, panel.title).toBeGreaterThan(0);
    }
    expect(panels.length).toBeGreaterThanOrEqual(12);
    for (const [file, title] of VALUES) expect(panels.some((p) => p.file === file && p.panel.title === title), `${file}: ${title}`).toBe(true);
  });

  it.each(panels.map(({ file, panel }) => [`${file}: ${panel.title}`, file, panel] as const))('%s runs with the columns it declares', async (_name, file, panel) => {
    for (const target of panel.targets ?? []) {
      const sql = expandMacros(target.rawSql, RANGE, { database: ch.database });
      expect(sql).not.toContain('$');
      const result = await ch.client.query({ query: sql, format: 'JSON' });
      const { meta, data } = await result.json<Record<string, unknown>>();
      expect((meta ?? []).map((m) => m.name)).toEqual(expect.arrayContaining(target.meta.expectedColumns));
      expect(data.length, 'seeded data must produce rows').toBeGreaterThan(0);
      for (const [vFile, vTitle, check] of VALUES) if (vFile === file && vTitle === panel.title) check(data);
    }
  });
});
