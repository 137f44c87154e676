// Which tables answer a question over a time range. A rollup is exact for the whole buckets it
// holds, so a range is split: whole days from the day rollup, whole hours from the hour rollup,
// whole minutes from the minute rollup, the ragged rest from the raw table.
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@tollgate/platform';
import { chDateTime, type Interval } from './params.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const GRAIN_MS: Record<Interval, number> = { minute: MINUTE, hour: HOUR, day: DAY };
const COARSEST_FIRST: readonly Interval[] = ['day', 'hour', 'minute'];

/** Tables that answer one question at different grains: rollups (time column `bucket`) and raw rows (`ts`). */
export interface RollupFamily {
  raw: string;
  rollups: Partial<Record<Interval, string>>;
}

export const USAGE: RollupFamily = { raw: 'api_requests', rollups: { minute: 'usage_minute', hour: 'usage_hour', day: 'usage_day' } };
export const LATENCY: RollupFamily = { raw: 'request_latency', rollups: { minute: 'latency_minute', hour: 'latency_hour', day: 'latency_day' } };
/** Per-consumer totals: whole days from consumer_day, the edges from the usage rollups. */
export const CONSUMERS: RollupFamily = { raw: 'api_requests', rollups: { minute: 'usage_minute', hour: 'usage_hour', day: 'consumer_day' } };
export const GEO: RollupFamily = { raw: 'api_requests', rollups: { day: 'geo_day' } };
export const BILLING: RollupFamily = { raw: 'api_requests', rollups: { minute: 'billing_minute', hour: 'billing_hour', day: 'billing_day' } };
/** Calls refused by policy (0007): per consumer, API and decision. */
export const REFUSED: RollupFamily = { raw: 'api_requests', rollups: { minute: 'refused_minute', hour: 'refused_hour', day: 'refused_day' } };

/**
 * Rollups that hold every row: 0002's were created with their source tables, 0007's refused
 * rollups before any row could carry a decision (see 0007_gateway_decision.sql).
 */
const ALWAYS_COMPLETE: ReadonlySet<string> = new Set(['usage_minute', 'usage_hour', 'usage_day', 'latency_minute', 'refused_minute', 'refused_hour', 'refused_day']);

export interface Retention {
  /** Days the minute rollups keep; older minute-aligned ranges go to the raw table. */
  minuteRollupDays: number;
  /**
   * Rollups added to an existing database (migration 0004's rollup_coverage): the instant from
   * which each holds every row. A rollup neither here nor from 0002 is not read at all.
   */
  rollupsSince?: ReadonlyMap<string, Date>;
}

/** rollup_coverage, read once per process: the migrations run before the dashboards serve. */
export async function loadRollupCoverage(client: ClickHouseClient, database: string): Promise<Map<string, Date>> {
  const rows = await queryRows<{ rollup_table: string; since: string }>(
    client,
    `SELECT rollup_table, toString(min(since)) AS since FROM ${database}.rollup_coverage GROUP BY rollup_table`,
    {},
  );
  return new Map(rows.map((row) => [row.rollup_table, new Date(`${row.since.replace(' ', 'T')}Z`)]));
}

/** The first instant (ms) from which the family's rollup of grain `grain` answers exactly. */
function availableFrom(family: RollupFamily, grain: Interval, retention: Retention, now: Date): number {
  const key = family.rollups[grain]!;
  const since = ALWAYS_COMPLETE.has(key) ? -Infinity : (retention.rollupsSince?.get(key)?.getTime() ?? Infinity);
  return grain === 'minute' ? Math.max(since, now.getTime() - retention.minuteRollupDays * DAY) : since;
}

/** A piece of a time range and the table that answers it exactly. */
export interface RangePart {
  table: string;
  /** The raw table (time column `ts`) rather than a rollup (`bucket`). */
  raw: boolean;
  from: Date;
  to: Date;
}

const floorTo = (ms: number, grain: number): number => Math.floor(ms / grain) * grain;
const ceilTo = (ms: number, grain: number): number => Math.ceil(ms / grain) * grain;

/**
 * Splits [from, to) into pieces that each read the coarsest table of the family exact for them —
 * never a rollup coarser than `finest` (the bucket size), nor one outside its retention or
 * coverage. Adjacent pieces of one table are merged; the pieces are in time order and cover the
 * range exactly once.
 */
export function splitRange(family: RollupFamily, from: Date, to: Date, finest: Interval, retention: Retention, now = new Date()): RangePart[] {
  const grains = COARSEST_FIRST.slice(COARSEST_FIRST.indexOf(finest)).filter((grain) => family.rollups[grain] !== undefined);
  const parts: RangePart[] = [];
  const push = (table: string, raw: boolean, a: number, b: number): void => {
    if (a >= b) return;
    const last = parts.at(-1);
    if (last && last.table === table && last.to.getTime() === a) last.to = new Date(b);
    else parts.push({ table, raw, from: new Date(a), to: new Date(b) });
  };
  const fill = (a: number, b: number, level: number): void => {
    if (a >= b) return;
    const grain = grains[level];
    if (grain === undefined) return push(family.raw, true, a, b);
    const table = family.rollups[grain]!;
    const size = GRAIN_MS[grain];
    const usable = availableFrom(family, grain, retention, now);
    const start = usable > a ? ceilTo(Math.min(usable, b), size) : ceilTo(a, size);
    const end = floorTo(b, size);
    if (start >= end) return fill(a, b, level + 1);
    fill(a, start, level + 1);
    push(table, false, start, end);
    fill(end, b, level + 1);
  };
  fill(from.getTime(), to.getTime(), 0);
  return parts;
}

/** A part read with a sign: -1 parts are subtracted (see splitMonths). */
export interface SignedPart extends RangePart {
  sign: 1 | -1;
}

const monthStart = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
};
const nextMonth = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
};

/**
 * [from, to) for a question asked per calendar month (revenue). Each month's share of the range is
 * read directly (splitRange), or — when that reads more time than the rest of the month up to now —
 * as the month's total from `monthTable` minus the parts of the month outside the range. Summing
 * each part times its sign gives the range's usage exactly.
 */
export function splitMonths(family: RollupFamily, monthTable: string, from: Date, to: Date, retention: Retention, now: Date): SignedPart[] {
  const parts: SignedPart[] = [];
  const add = (a: number, b: number, sign: 1 | -1): void => {
    for (const part of splitRange(family, new Date(a), new Date(b), 'day', retention, now)) parts.push({ ...part, sign });
  };
  const monthSince = retention.rollupsSince?.get(monthTable)?.getTime() ?? Infinity;
  for (let start = monthStart(from.getTime()); start < to.getTime(); start = nextMonth(start)) {
    const end = nextMonth(start);
    const a = Math.max(start, from.getTime());
    const b = Math.min(end, to.getTime());
    const direct = b - a;
    // Days after `now` hold (next to) nothing, so they cost (next to) nothing to subtract.
    const rest = a - start + Math.max(0, Math.min(end, now.getTime()) - b);
    if (monthSince <= start && rest < direct) {
      parts.push({ table: monthTable, raw: false, from: new Date(start), to: new Date(end), sign: 1 });
      add(start, a, -1);
      add(b, end, -1);
    } else {
      add(a, b, 1);
    }
  }
  return parts;
}

export interface SplitSource {
  /** A table expression `(… UNION ALL …) AS src` over the parts. */
  from: string;
  /** Query parameters of the parts' bounds (part_<i>_from, part_<i>_to). */
  params: Record<string, string>;
  parts: RangePart[];
}

/**
 * One table expression over the parts of a range: `select(part)` gives each part's SELECT list (the
 * same columns for every part, optionally followed by `groupBy(part)`); `where` applies inside
 * every part (a function: its condition for each part, e.g. one the rollups hold by construction
 * and the raw table must state).
 */
export function splitSource<P extends RangePart>(
  database: string,
  parts: readonly P[],
  select: (part: P) => string,
  where: string | ((part: P) => string),
  groupBy: (part: P) => string = () => '',
): SplitSource {
  const params: Record<string, string> = {};
  const selects = parts.map((part, i) => {
    params[`part_${i}_from`] = chDateTime(part.from);
    params[`part_${i}_to`] = chDateTime(part.to);
    const time = part.raw ? 'ts' : 'bucket';
    const range = `${time} >= {part_${i}_from:DateTime64(3, 'UTC')} AND ${time} < {part_${i}_to:DateTime64(3, 'UTC')}`;
    const condition = typeof where === 'string' ? where : where(part);
    return `SELECT ${select(part)} FROM ${database}.${part.table} WHERE ${range} AND ${condition} ${groupBy(part)}`.trimEnd();
  });
  return { from: `(${selects.join('\n      UNION ALL ')}) AS src`, params, parts: [...parts] };
}

/** The usage counters every part of a split usage range has in common. */
function usageColumns(part: RangePart): string {
  // The raw time is cut to the second: buckets are at most minute-sized, so grouping stays exact.
  return part.raw
    ? 'toDateTime(ts) AS bucket, api, consumer_id, org_id, plan_id, country, status_class, toUInt64(1) AS calls, ' +
        'toUInt64(billable) AS billable_calls, request_bytes, response_bytes'
    : 'bucket, api, consumer_id, org_id, plan_id, country, status_class, calls, billable_calls, request_bytes, response_bytes';
}

/**
 * The usage of [from, to) as one table expression (columns bucket, the dimensions, the counters);
 * `where` (on the common columns, e.g. the API and consumer filters) applies inside every part.
 */
export function splitUsage(database: string, from: Date, to: Date, finest: Interval, retention: Retention, now: Date, where: string): SplitSource {
  return splitSource(database, splitRange(USAGE, from, to, finest, retention, now), usageColumns, where);
}

/** Sums over the rows of a split usage range, read `AS src`. */
export const SUMS = {
  // Qualified: the result columns reuse the counters' names, and an alias would shadow the column.
  calls: 'sum(src.calls)',
  billable: 'sum(src.billable_calls)',
  requestBytes: 'sum(src.request_bytes)',
  responseBytes: 'sum(src.response_bytes)',
  callsIf: (condition: string) => `sumIf(src.calls, ${condition})`,
} as const;

/** Constant SQL per validated interval (the unit of an INTERVAL cannot be a query parameter). */
export const BUCKET_FUNCTION: Record<Interval, string> = {
  minute: 'toStartOfMinute',
  hour: 'toStartOfHour',
  day: 'toStartOfDay',
};
