// Pure parts: parameter parsing, table choice, revenue allocation, token configuration.
import { describe, expect, it } from 'vitest';
import { ConfigError, seededRandom } from '@tollgate/platform';
import { dashboardConfigFromEnv } from '../src/config.ts';
import { pricingKeySql, pricingKeys, type KeyMap, type PricingKeys } from '../src/queries/pricing-keys.ts';
import { writeTestPlans } from './seed.ts';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_PLANS_FILE, STATUS_CLASSES, allocate, loadPlansFile, priceInvoice, withinIncludedUnits, type StatusClass, type UsageRow } from '@tollgate/pricing';
import { P, ParamError, parseParams } from '../src/queries/params.ts';
import { BILLING, GEO, LATENCY, USAGE, splitMonths, splitRange, splitUsage, type RollupFamily } from '../src/queries/sources.ts';

const NOW = new Date('2025-06-15T12:34:56.789Z');
/** Repeatable random integers in [0, n). */
const randomInts = (seed: number): ((n: number) => number) => {
  const next = seededRandom(seed);
  return (n) => Math.floor(next() * n);
};
const specs = [P.from, P.to, P.interval, P.limit(10)];

describe('parameters', () => {
  it('applies defaults and relative times', () => {
    const p = parseParams(specs, {}, NOW);
    expect(p).toMatchObject({ interval: 'hour', limit: 10 });
    expect(p.to).toEqual(NOW);
    expect(p.from.getTime()).toBe(NOW.getTime() - 86_400_000);
  });
  it('reads date-times without an offset as UTC', () => {
    expect(parseParams(specs, { from: '2025-06-01', to: '2025-06-02T01:02' }, NOW)).toMatchObject({ from: new Date('2025-06-01T00:00:00Z'), to: new Date('2025-06-02T01:02:00Z') });
    expect(parseParams(specs, { from: '2025-06-01T00:00:00+02:00', to: 'now' }, NOW).from).toEqual(new Date('2025-05-31T22:00:00Z'));
  });
  it('names the parameter it refuses', () => {
    expect(() => parseParams(specs, { limit: '5000' }, NOW)).toThrow(ParamError);
    expect(() => parseParams(specs, { from: "2025-01-01'; DROP TABLE x" }, NOW)).toThrow(/parameter from/);
    expect(() => parseParams(specs, { api: 'search' }, NOW)).toThrow(/parameter api: is not a parameter of this query/);
    expect(() => parseParams(specs, { from: 'now-500d' }, NOW)).toThrow(/400 days/);
  });
});

describe('rollup coverage', () => {
  const at = (iso: string): Date => new Date(iso);
  const split = (family: RollupFamily, from: string, to: string, rollupsSince?: Map<string, Date>): string[] =>
    splitRange(family, at(from), at(to), 'day', { minuteRollupDays: 35, rollupsSince }, NOW).map((p) => `${p.table} ${p.from.toISOString()} ${p.to.toISOString()}`);

  it('reads a rollup added later only from the instant it holds every row', () => {
    const since = new Map([['geo_day', at('2025-06-03T10:00:00Z')]]);
    expect(split(GEO, '2025-06-01T00:00:00Z', '2025-06-06T00:00:00Z', since)).toEqual([
      'api_requests 2025-06-01T00:00:00.000Z 2025-06-04T00:00:00.000Z',
      'geo_day 2025-06-04T00:00:00.000Z 2025-06-06T00:00:00.000Z',
    ]);
  });
  it('never reads a rollup missing from rollup_coverage, and always reads those created with their source', () => {
    expect(split(GEO, '2025-06-01T00:00:00Z', '2025-06-06T00:00:00Z')).toEqual(['api_requests 2025-06-01T00:00:00.000Z 2025-06-06T00:00:00.000Z']);
    expect(split(LATENCY, '2025-06-01T00:00:00Z', '2025-06-02T00:00:00Z')).toEqual(['latency_minute 2025-06-01T00:00:00.000Z 2025-06-02T00:00:00.000Z']);
  });
  it('splits the billing family into days, hours and raw edges', () => {
    const since = new Map([['billing_day', at('1970-01-01T00:00:00Z')], ['billing_hour', at('1970-01-01T00:00:00Z')]]);
    expect(split(BILLING, '2025-06-01T22:10:30Z', '2025-06-03T01:00:00Z', since)).toEqual([
      'api_requests 2025-06-01T22:10:30.000Z 2025-06-01T23:00:00.000Z',
      'billing_hour 2025-06-01T23:00:00.000Z 2025-06-02T00:00:00.000Z',
      'billing_day 2025-06-02T00:00:00.000Z 2025-06-03T00:00:00.000Z',
      'billing_hour 2025-06-03T00:00:00.000Z 2025-06-03T01:00:00.000Z',
    ]);
    // Whole minutes come from the minute rollup once it holds every row.
    since.set('billing_minute', at('2025-06-01T22:30:00Z'));
    expect(split(BILLING, '2025-06-01T22:10:30Z', '2025-06-02T00:00:00Z', since)).toEqual([
      'api_requests 2025-06-01T22:10:30.000Z 2025-06-01T22:30:00.000Z',
      'billing_minute 2025-06-01T22:30:00.000Z 2025-06-01T23:00:00.000Z',
      'billing_hour 2025-06-01T23:00:00.000Z 2025-06-02T00:00:00.000Z',
    ]);
  });
});

describe('month splitting', () => {
  const at = (iso: string): Date => new Date(iso);
  const everything = new Map(['billing_month', 'billing_day', 'billing_hour', 'billing_minute'].map((t) => [t, at('1970-01-01T00:00:00Z')]));
  const retention = { minuteRollupDays: 35, rollupsSince: everything };

  it('reads most of a month as its total minus the rest, and a small share of a month directly', () => {
    const now = at('2025-06-20T08:45:00Z');
    const parts = splitMonths(BILLING, 'billing_month', at('2025-05-28T08:45:00Z'), now, retention, now);
    expect(parts.map((p) => `${p.sign > 0 ? '+' : '-'}${p.table} ${p.from.toISOString()} ${p.to.toISOString()}`)).toEqual([
      '+billing_minute 2025-05-28T08:45:00.000Z 2025-05-28T09:00:00.000Z',
      '+billing_hour 2025-05-28T09:00:00.000Z 2025-05-29T00:00:00.000Z',
      '+billing_day 2025-05-29T00:00:00.000Z 2025-06-01T00:00:00.000Z',
      '+billing_month 2025-06-01T00:00:00.000Z 2025-07-01T00:00:00.000Z',
      '-billing_minute 2025-06-20T08:45:00.000Z 2025-06-20T09:00:00.000Z',
      '-billing_hour 2025-06-20T09:00:00.000Z 2025-06-21T00:00:00.000Z',
      '-billing_day 2025-06-21T00:00:00.000Z 2025-07-01T00:00:00.000Z',
    ]);
  });

  it('never reads a month total the rollup does not hold', () => {
    const since = new Map(everything).set('billing_month', at('2025-06-10T00:00:00Z'));
    const now = at('2025-06-20T00:00:00Z');
    const parts = splitMonths(BILLING, 'billing_month', at('2025-06-02T00:00:00Z'), now, { ...retention, rollupsSince: since }, now);
    expect(parts.map((p) => p.table)).toEqual(['billing_day']);
  });

  it('counts every instant of the range once and every other instant zero times', () => {
    const rnd = randomInts(3);
    const base = at('2025-01-01T00:00:00Z').getTime();
    for (let i = 0; i < 300; i++) {
      const from = base + rnd(200) * 86_400_000 + rnd(1440) * 60_000 + rnd(2) * 1000;
      const to = from + 1 + rnd(90) * 86_400_000 + rnd(1440) * 60_000;
      const now = new Date(to + (rnd(3) - 1) * rnd(20) * 86_400_000);
      const parts = splitMonths(BILLING, 'billing_month', new Date(from), new Date(to), retention, now);
      for (let k = 0; k < 50; k++) {
        const t = from - 40 * 86_400_000 + rnd(200) * 86_400_000 + rnd(86_400) * 1000;
        const weight = parts.reduce((sum, p) => (p.from.getTime() <= t && t < p.to.getTime() ? sum + p.sign : sum), 0);
        expect(weight, `${new Date(from).toISOString()} ${new Date(to).toISOString()} at ${new Date(t).toISOString()}`).toBe(t >= from && t < to ? 1 : 0);
      }
    }
  });
});

describe('range splitting', () => {
  const retention = { minuteRollupDays: 35 };
  const at = (iso: string): Date => new Date(iso);
  const split = (from: string, to: string, finest: 'minute' | 'hour' | 'day' = 'day', now = NOW): string[] =>
    splitRange(USAGE, at(from), at(to), finest, retention, now).map((p) => `${p.table} ${p.from.toISOString()} ${p.to.toISOString()}`);

  it('reads whole days, whole hours and whole minutes from their rollups, sub-minute edges raw', () => {
    expect(split('2025-06-01T22:10:30.500Z', '2025-06-04T02:03:00Z')).toEqual([
      'api_requests 2025-06-01T22:10:30.500Z 2025-06-01T22:11:00.000Z',
      'usage_minute 2025-06-01T22:11:00.000Z 2025-06-01T23:00:00.000Z',
      'usage_hour 2025-06-01T23:00:00.000Z 2025-06-02T00:00:00.000Z',
      'usage_day 2025-06-02T00:00:00.000Z 2025-06-04T00:00:00.000Z',
      'usage_hour 2025-06-04T00:00:00.000Z 2025-06-04T02:00:00.000Z',
      'usage_minute 2025-06-04T02:00:00.000Z 2025-06-04T02:03:00.000Z',
    ]);
  });
  it('keeps aligned ranges in one part and never reads a rollup coarser than the interval', () => {
    expect(split('2025-06-01T00:00:00Z', '2025-06-10T00:00:00Z')).toEqual(['usage_day 2025-06-01T00:00:00.000Z 2025-06-10T00:00:00.000Z']);
    expect(split('2025-06-01T00:00:00Z', '2025-06-10T00:00:00Z', 'hour')).toEqual(['usage_hour 2025-06-01T00:00:00.000Z 2025-06-10T00:00:00.000Z']);
    expect(split('2025-06-01T10:00:00Z', '2025-06-01T12:30:00Z', 'minute')).toEqual(['usage_minute 2025-06-01T10:00:00.000Z 2025-06-01T12:30:00.000Z']);
    expect(split('2025-06-01T10:59:00Z', '2025-06-02T00:01:00Z', 'hour')).toEqual([
      'usage_minute 2025-06-01T10:59:00.000Z 2025-06-01T11:00:00.000Z',
      'usage_hour 2025-06-01T11:00:00.000Z 2025-06-02T00:00:00.000Z',
      'usage_minute 2025-06-02T00:00:00.000Z 2025-06-02T00:01:00.000Z',
    ]);
  });
  it('handles ranges shorter than a minute, within one minute, and across a minute boundary', () => {
    expect(split('2025-06-01T10:00:10Z', '2025-06-01T10:00:20Z')).toEqual(['api_requests 2025-06-01T10:00:10.000Z 2025-06-01T10:00:20.000Z']);
    // Across a boundary with no whole minute in between: one raw part, not two.
    expect(split('2025-06-01T10:00:50Z', '2025-06-01T10:01:20Z')).toEqual(['api_requests 2025-06-01T10:00:50.000Z 2025-06-01T10:01:20.000Z']);
    expect(split('2025-06-01T23:59:59.999Z', '2025-06-02T00:00:00.001Z')).toEqual(['api_requests 2025-06-01T23:59:59.999Z 2025-06-02T00:00:00.001Z']);
  });
  it('reads minutes older than the minute rollup retention raw, while hours and days still come from rollups', () => {
    // Retention cutoff 2025-05-11T12:34:56.789Z (35 days before NOW): the first minute part is split at the next whole minute.
    expect(split('2025-05-11T12:10:00Z', '2025-05-13T00:00:00Z')).toEqual([
      'api_requests 2025-05-11T12:10:00.000Z 2025-05-11T12:35:00.000Z',
      'usage_minute 2025-05-11T12:35:00.000Z 2025-05-11T13:00:00.000Z',
      'usage_hour 2025-05-11T13:00:00.000Z 2025-05-12T00:00:00.000Z',
      'usage_day 2025-05-12T00:00:00.000Z 2025-05-13T00:00:00.000Z',
    ]);
    expect(split('2025-01-01T03:01:00Z', '2025-01-01T04:01:00Z')).toEqual(['api_requests 2025-01-01T03:01:00.000Z 2025-01-01T04:01:00.000Z']);
    expect(split('2025-01-01T03:00:00Z', '2025-01-01T05:00:00Z')).toEqual(['usage_hour 2025-01-01T03:00:00.000Z 2025-01-01T05:00:00.000Z']);
  });
  it('covers the range exactly once, in order, for many random ranges', () => {
    const rnd = randomInts(7);
    const base = at('2025-05-01T00:00:00Z').getTime();
    for (let i = 0; i < 500; i++) {
      const grains = [1, 1000, 60_000, 3_600_000, 86_400_000];
      const from = base + rnd(40) * grains[rnd(5)]! + rnd(3) * 1000;
      const to = from + 1 + rnd(50) * grains[rnd(5)]! + rnd(2) * 60_000;
      const finest = (['minute', 'hour', 'day'] as const)[rnd(3)]!;
      const parts = splitRange(USAGE, new Date(from), new Date(to), finest, retention, NOW);
      expect(parts[0]!.from.getTime()).toBe(from);
      expect(parts.at(-1)!.to.getTime()).toBe(to);
      for (const [j, part] of parts.entries()) {
        expect(part.from.getTime()).toBeLessThan(part.to.getTime());
        if (j > 0) expect(part.from.getTime()).toBe(parts[j - 1]!.to.getTime());
        const grain = ({ usage_day: 86_400_000, usage_hour: 3_600_000, usage_minute: 60_000, api_requests: 1 } as Record<string, number>)[part.table]!;
        expect(part.from.getTime() % grain).toBe(0);
        expect(part.to.getTime() % grain).toBe(0);
        if (finest !== 'day') expect(part.table).not.toBe('usage_day');
        if (finest === 'minute') expect(part.table).not.toBe('usage_hour');
      }
    }
  });
  it('builds one UNION ALL with the bounds as query parameters', () => {
    const u = splitUsage('tg', at('2025-06-01T23:30:00Z'), at('2025-06-03T00:00:00Z'), 'day', retention, NOW, "api = 'x'");
    expect(u.parts.map((p) => p.table)).toEqual(['usage_minute', 'usage_day']);
    expect(u.params).toEqual({
      part_0_from: '2025-06-01 23:30:00.000',
      part_0_to: '2025-06-02 00:00:00.000',
      part_1_from: '2025-06-02 00:00:00.000',
      part_1_to: '2025-06-03 00:00:00.000',
    });
    expect(u.from).toMatch(/^\(SELECT .* FROM tg\.usage_minute WHERE bucket >= \{part_0_from:DateTime64\(3, 'UTC'\)\} .* AND api = 'x'\s+UNION ALL SELECT .* FROM tg\.usage_day .*\) AS src$/s);
  });
});

describe('allocate', () => {
  it('splits an amount proportionally and exactly', () => {
    expect(allocate(68n, new Map([['search', 138n], ['geo', 30n]]))).toEqual(new Map([['search', 56n], ['geo', 12n]]));
    const parts = allocate(100n, new Map([['a', 1n], ['b', 1n], ['c', 1n]]));
    expect([...parts.values()].reduce((s, v) => s + v, 0n)).toBe(100n);
    expect(allocate(5n, new Map())).toEqual(new Map());
  });
});

describe('config', () => {
  it('reads defaults', () => {
    const config = dashboardConfigFromEnv({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8703, adminTokens: [] });
    expect(config.plansFile).toMatch(/packages\/pricing\/plans\.example\.yaml$/);
  });
  it('parses consumer tokens and reports every problem', () => {
    expect(dashboardConfigFromEnv({ QUERY_CONSUMER_TOKENS: 'aaaaaaaaaaaaaaaa:alice, bbbbbbbbbbbbbbbb:bob' }).consumerTokens).toEqual(new Map([['aaaaaaaaaaaaaaaa', 'alice'], ['bbbbbbbbbbbbbbbb', 'bob']]));
    try {
      dashboardConfigFromEnv({ QUERY_TOKENS: 'short', QUERY_CONSUMER_TOKENS: 'nocolon,tiny:x', DASHBOARD_PORT: 'x', CLICKHOUSE_DATABASE: 'a-b' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(5);
    }
  });
});

describe('pricing keys', () => {
  const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
  const APIS = ['search', 'geo', 'orders', 'api-1', 'api-2'];
  // What the SQL of pricingKeySql does to one row, in TypeScript.
  const collapse = (keys: PricingKeys, row: UsageRow): UsageRow => {
    const map = (m: KeyMap, value: string, fallback: string): string => {
      const i = m.from.indexOf(value);
      return i < 0 ? fallback : m.to[i]!;
    };
    return {
      ...row,
      method: map(keys.methods, row.method, ''),
      statusClass: map(keys.statuses, row.statusClass, row.statusClass) as StatusClass,
      api: keys.apis === undefined || keys.apis.includes(row.api) ? row.api : '',
    };
  };

  it('prices collapsed usage exactly as the full usage, for every plan of the example file and the test file', async () => {
    const rnd = randomInts(11);
    for (const file of [DEFAULT_PLANS_FILE, writeTestPlans(mkdtempSync(join(tmpdir(), 'plans-')))]) {
      const plans = [...(await loadPlansFile(file)).plans.values()];
      const keys = pricingKeys(plans, false);
      for (const plan of plans) {
        for (let trial = 0; trial < 40; trial++) {
          const rows: UsageRow[] = Array.from({ length: 1 + rnd(30) }, () => ({
            api: APIS[rnd(APIS.length)]!,
            method: METHODS[rnd(METHODS.length)]!,
            statusClass: STATUS_CLASSES[rnd(5)]!,
            requests: BigInt(rnd(3_000_000)),
            requestBytes: BigInt(rnd(10 ** 9)) * 40n,
            responseBytes: BigInt(rnd(10 ** 9)) * 90n,
          }));
          const full = priceInvoice(plan, rows);
          const collapsed = priceInvoice(plan, rows.map((row) => collapse(keys, row)));
          expect([collapsed.totalMinor, collapsed.lostRevenueMinor], `${plan.id} ${trial}`).toEqual([full.totalMinor, full.lostRevenueMinor]);
        }
      }
    }
  });

  it('skips pricing only invoices that pricing would charge nothing but the base fee', async () => {
    const rnd = randomInts(5);
    let skipped = 0;
    for (const plan of (await loadPlansFile(DEFAULT_PLANS_FILE)).plans.values()) {
      for (let trial = 0; trial < 200; trial++) {
        const scale = [10, 1_000, 100_000, 3_000_000][rnd(4)]!;
        const rows: UsageRow[] = Array.from({ length: 1 + rnd(6) }, () => ({
          api: APIS[rnd(APIS.length)]!,
          method: METHODS[rnd(METHODS.length)]!,
          statusClass: STATUS_CLASSES[rnd(5)]!,
          requests: BigInt(rnd(scale)),
          requestBytes: BigInt(rnd(scale)) * 1000n,
          responseBytes: BigInt(rnd(scale)) * 5000n,
        }));
        const invoice = priceInvoice(plan, rows);
        const charged = invoice.totalMinor !== (plan.baseFee ?? 0n) || invoice.lostRevenueMinor !== 0n;
        if (withinIncludedUnits(plan, rows)) {
          skipped += 1;
          expect(charged, `${plan.id} ${trial}`).toBe(false);
        }
      }
    }
    expect(skipped).toBeGreaterThan(100);
  });

  it('keeps only the distinctions some plan makes, and maps through query parameters', async () => {
    const plans = [...(await loadPlansFile(DEFAULT_PLANS_FILE)).plans.values()];
    const keys = pricingKeys(plans, false);
    expect(keys.apis).toEqual(['search']);
    // jp-standard names five methods and treats them alike.
    expect(keys.methods.from).toEqual(['DELETE', 'GET', 'PATCH', 'POST', 'PUT']);
    expect(new Set(keys.methods.to)).toEqual(new Set(['DELETE']));
    // Every example plan bills 1xx–4xx alike and 5xx apart.
    expect(keys.statuses.to).toEqual(['1xx', '1xx', '1xx', '1xx', '5xx']);
    expect(pricingKeys(plans, true).apis).toBeUndefined();
    const sql = pricingKeySql(keys);
    expect(sql.api).toBe("transform(api, {key_api_from:Array(String)}, {key_api_to:Array(String)}, '')");
    expect(sql.params).toMatchObject({ key_api_from: ['search'], key_method_from: keys.methods.from });
    expect(pricingKeySql(pricingKeys(plans, true)).api).toBe('api');
  });
});
