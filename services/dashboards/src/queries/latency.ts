// Latency percentiles, from the latency tables only: they never mix with usage (or money).
// A range is split like usage (sources.ts): whole days, hours and minutes merge the rollups'
// t-digest states, the ragged edges build states from raw rows, and one merge answers the whole.
import type { Interval, QueryParams } from './params.ts';
import { P } from './params.ts';
import { BUCKET_FUNCTION, LATENCY, splitRange, splitSource, type RangePart, type SplitSource } from './sources.ts';
import { API_FILTER, col, sqlQuery, type NamedQuery, type QueryContext } from './types.ts';

const PERCENTILES = [col('requests'), col('p50_ms', 'number'), col('p95_ms', 'number'), col('p99_ms', 'number')];
const QUANTILES = 'quantilesTDigestMerge(0.5, 0.95, 0.99)(src.total_ms)';
const pick = `round(q[1], 2) AS p50_ms, round(q[2], 2) AS p95_ms, round(q[3], 2) AS p99_ms`;

function latencyColumns(part: RangePart): string {
  // Raw rows become states of the rollups' type (nulls skipped as latency_minute_mv skips them).
  return part.raw
    ? 'toDateTime(ts) AS bucket, api, upstream_service, count() AS requests, ' +
        'quantilesTDigestStateIf(0.5, 0.95, 0.99)(assumeNotNull(total_ms), total_ms IS NOT NULL) AS total_ms'
    : 'bucket, api, upstream_service, requests, total_ms';
}

function splitLatency(ctx: QueryContext, p: QueryParams, finest: Interval): SplitSource {
  const parts = splitRange(LATENCY, p.from, p.to, finest, ctx.retention, ctx.now());
  return splitSource(ctx.database, parts, latencyColumns, API_FILTER, (part) => (part.raw ? 'GROUP BY bucket, api, upstream_service' : ''));
}

export const latencyByApi: NamedQuery = sqlQuery({
  name: 'latency_by_api',
  description: 'End-to-end latency p50/p95/p99 (ms) per API',
  params: [P.from, P.to, P.api, P.limit(100)],
  columns: [col('api', 'string'), ...PERCENTILES],
  sql(_db, p, ctx) {
    const s = splitLatency(ctx, p, 'day');
    return {
      params: s.params,
      sql: `SELECT api, sum(src.requests) AS requests, ${QUANTILES} AS q, ${pick}
      FROM ${s.from}
      GROUP BY api ORDER BY requests DESC, api LIMIT {limit:UInt32}`,
    };
  },
});

export const latencyByUpstream: NamedQuery = sqlQuery({
  name: 'latency_by_upstream',
  description: 'End-to-end latency p50/p95/p99 (ms) per API and upstream service',
  params: [P.from, P.to, P.api, P.limit(100)],
  columns: [col('api', 'string'), col('upstream_service', 'string'), ...PERCENTILES],
  sql(_db, p, ctx) {
    const s = splitLatency(ctx, p, 'day');
    return {
      params: s.params,
      sql: `SELECT api, upstream_service, sum(src.requests) AS requests, ${QUANTILES} AS q, ${pick}
      FROM ${s.from}
      GROUP BY api, upstream_service ORDER BY requests DESC, api, upstream_service LIMIT {limit:UInt32}`,
    };
  },
});

export const latencyOverTime: NamedQuery = sqlQuery({
  name: 'latency_over_time',
  description: 'End-to-end latency p50/p95/p99 (ms) per time bucket (all APIs, or one API)',
  params: [P.from, P.to, P.interval, P.api],
  columns: [col('bucket', 'datetime'), ...PERCENTILES],
  sql(_db, p, ctx) {
    const s = splitLatency(ctx, p, p.interval);
    return {
      params: s.params,
      sql: `SELECT ${BUCKET_FUNCTION[p.interval]}(src.bucket) AS bucket, sum(src.requests) AS requests, ${QUANTILES} AS q, ${pick}
      FROM ${s.from}
      GROUP BY bucket ORDER BY bucket`,
    };
  },
});
