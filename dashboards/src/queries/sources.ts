// Which table answers a usage or latency question. The rollups are exact for any range whose ends
// fall on their bucket boundaries, so the coarsest rollup aligned with both ends (and no coarser
// than the requested interval) is used; a range cut mid-minute falls back to the raw table.
import type { Interval } from './params.ts';

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

const ROLLUP = {
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
    return { ...ROLLUP, table: `usage_${grain}` };
  }
  return RAW;
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
