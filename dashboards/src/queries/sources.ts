// Which table answers a usage or latency question. The rollups are exact for any range whose ends
// fall on their bucket boundaries, so the coarsest rollup aligned with both ends (and no coarser
// than the requested interval) is used; a range cut mid-minute falls back to the raw table.
import { chDateTime, type Interval } from './params.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const GRAIN_MS: Record<Interval, number> = { minute: MINUTE, hour: HOUR, day: DAY };
const ORDER: readonly Interval[] = ['day', 'hour', 'minute'];

/**
 * SQL fragments that read one usage table; a rollup sums its counters, the raw table counts rows.
 * The table must be read `AS src`.
 */
export interface UsageSource {
  table: 'usage_day' | 'usage_hour' | 'usage_minute' | 'api_requests';
  time: 'bucket' | 'ts';
  calls: string;
  billable: string;
  requestBytes: string;
  responseBytes: string;
  /** Calls matching a (constant) condition. */
  callsIf(condition: string): string;
}

/** Sums over the rows of a rollup, or of a split range (splitUsage), read `AS src`. */
export const SUMS = {
  time: 'bucket',
  // Qualified: the result columns reuse the counters' names, and an alias would shadow the column.
  calls: 'sum(src.calls)',
  billable: 'sum(src.billable_calls)',
  requestBytes: 'sum(src.request_bytes)',
  responseBytes: 'sum(src.response_bytes)',
  callsIf: (condition: string) => `sumIf(src.calls, ${condition})`,
} as const;

const RAW: UsageSource = {
  table: 'api_requests',
  time: 'ts',
  calls: 'count()',
  billable: 'countIf(billable)',
  requestBytes: 'sum(src.request_bytes)',
  responseBytes: 'sum(src.response_bytes)',
  callsIf: (condition: string) => `countIf(${condition})`,
};

export interface Retention {
  /** Days the minute rollups (usage and latency) keep; older minute-aligned ranges go raw. */
  minuteRollupDays: number;
}

const aligned = (date: Date, grain: Interval): boolean => date.getTime() % GRAIN_MS[grain] === 0;

/** The coarsest rollup no coarser than `finest` that both ends are aligned to, else the raw table. */
export function usageSource(from: Date, to: Date, finest: Interval, retention: Retention, now = new Date()): UsageSource {
  for (const grain of ORDER.slice(ORDER.indexOf(finest))) {
    if (!aligned(from, grain) || !aligned(to, grain)) continue;
    if (grain === 'minute' && from.getTime() < now.getTime() - retention.minuteRollupDays * DAY) continue;
    return { ...SUMS, table: `usage_${grain}` };
  }
  return RAW;
}

/** A piece of a time range and the usage table that answers it exactly. */
export interface UsagePart {
  table: UsageSource['table'];
  from: Date;
  to: Date;
}

const floorTo = (ms: number, grain: number): number => Math.floor(ms / grain) * grain;
const ceilTo = (ms: number, grain: number): number => Math.ceil(ms / grain) * grain;

/**
 * Splits [from, to) into pieces that each read the coarsest table exact for them: whole days from
 * usage_day, whole hours from usage_hour, whole minutes from usage_minute and only the ragged
 * sub-minute edges from api_requests — never a rollup coarser than `finest` (the bucket size).
 * Minutes older than the minute rollup's retention are read raw. Adjacent pieces of one table are
 * merged; the pieces are in time order and cover the range exactly once.
 */
export function splitUsageRange(from: Date, to: Date, finest: Interval, retention: Retention, now = new Date()): UsagePart[] {
  const grains = ORDER.slice(ORDER.indexOf(finest));
  const minuteCutoff = now.getTime() - retention.minuteRollupDays * DAY;
  const parts: UsagePart[] = [];
  const push = (table: UsagePart['table'], a: number, b: number): void => {
    if (a >= b) return;
    const last = parts.at(-1);
    if (last && last.table === table && last.to.getTime() === a) last.to = new Date(b);
    else parts.push({ table, from: new Date(a), to: new Date(b) });
  };
  // The minute rollup answers [a, b) (both minute-aligned) where it still has the data, raw elsewhere.
  const minutes = (a: number, b: number): void => {
    const cut = Math.min(Math.max(ceilTo(minuteCutoff, MINUTE), a), b);
    push('api_requests', a, cut);
    push('usage_minute', cut, b);
  };
  const fill = (a: number, b: number, level: number): void => {
    if (a >= b) return;
    const grain = grains[level];
    if (grain === undefined) return push('api_requests', a, b);
    const size = GRAIN_MS[grain];
    const start = ceilTo(a, size);
    const end = floorTo(b, size);
    if (start >= end) return fill(a, b, level + 1);
    fill(a, start, level + 1);
    if (grain === 'minute') minutes(start, end);
    else push(`usage_${grain}`, start, end);
    fill(end, b, level + 1);
  };
  fill(from.getTime(), to.getTime(), 0);
  return parts;
}

/** The counters of one usage part, as the columns every part of a split range has in common. */
const PART_COLUMNS: Record<UsagePart['table'], string> = {
  usage_day: 'bucket, api, consumer_id, org_id, plan_id, country, status_class, calls, billable_calls, request_bytes, response_bytes',
  usage_hour: 'bucket, api, consumer_id, org_id, plan_id, country, status_class, calls, billable_calls, request_bytes, response_bytes',
  usage_minute: 'bucket, api, consumer_id, org_id, plan_id, country, status_class, calls, billable_calls, request_bytes, response_bytes',
  // The raw time is cut to the second: buckets are at most minute-sized, so grouping stays exact.
  api_requests:
    'toDateTime(ts) AS bucket, api, consumer_id, org_id, plan_id, country, status_class, toUInt64(1) AS calls, ' +
    'toUInt64(billable) AS billable_calls, request_bytes, response_bytes',
};

export interface SplitUsage {
  /** A table expression `(… UNION ALL …) AS src`: columns bucket (DateTime), the dimensions, the counters. */
  from: string;
  /** Query parameters of the parts' bounds (part_<i>_from, part_<i>_to). */
  params: Record<string, string>;
  parts: UsagePart[];
}

/**
 * The usage of [from, to) as one table expression over the split parts; `where` (on the common
 * columns, e.g. the API and consumer filters) is applied inside every part.
 */
export function splitUsage(database: string, from: Date, to: Date, finest: Interval, retention: Retention, now: Date, where: string): SplitUsage {
  const parts = splitUsageRange(from, to, finest, retention, now);
  const params: Record<string, string> = {};
  const selects = parts.map((part, i) => {
    params[`part_${i}_from`] = chDateTime(part.from);
    params[`part_${i}_to`] = chDateTime(part.to);
    const time = part.table === 'api_requests' ? 'ts' : 'bucket';
    const range = `${time} >= {part_${i}_from:DateTime64(3, 'UTC')} AND ${time} < {part_${i}_to:DateTime64(3, 'UTC')}`;
    return `SELECT ${PART_COLUMNS[part.table]} FROM ${database}.${part.table} WHERE ${range} AND ${where}`;
  });
  return { from: `(${selects.join('\n      UNION ALL ')}) AS src`, params, parts };
}

export interface LatencySource {
  table: 'latency_minute' | 'request_latency';
  time: 'bucket' | 'ts';
  requests: string;
  /** An array [p50, p95, p99] of total_ms. The table must be read `AS src`. */
  quantiles: string;
}

/** latency_minute for minute-aligned ranges; the raw request_latency table otherwise. */
export function latencySource(from: Date, to: Date): LatencySource {
  if (aligned(from, 'minute') && aligned(to, 'minute')) {
    return { table: 'latency_minute', time: 'bucket', requests: 'sum(src.requests)', quantiles: 'quantilesTDigestMerge(0.5, 0.95, 0.99)(src.total_ms)' };
  }
  return { table: 'request_latency', time: 'ts', requests: 'count()', quantiles: 'quantilesTDigest(0.5, 0.95, 0.99)(src.total_ms)' };
}

/** Constant SQL per validated interval (the unit of an INTERVAL cannot be a query parameter). */
export const BUCKET_FUNCTION: Record<Interval, string> = {
  minute: 'toStartOfMinute',
  hour: 'toStartOfHour',
  day: 'toStartOfDay',
};

/** The time-range predicate; the bounds are query parameters. */
export function timeRange(column: string): string {
  return `${column} >= {from:DateTime64(3, 'UTC')} AND ${column} < {to:DateTime64(3, 'UTC')}`;
}
