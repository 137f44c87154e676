// Latency percentiles, from the latency tables only: they never mix with usage (or money).
import { P } from './params.ts';
import { BUCKET_FUNCTION, latencySource, timeRange } from './sources.ts';
import { API_FILTER, col, sqlQuery, type NamedQuery } from './types.ts';

const PERCENTILES = [col('requests'), col('p50_ms', 'number'), col('p95_ms', 'number'), col('p99_ms', 'number')];
const pick = (q: string): string => `round(${q}[1], 2) AS p50_ms, round(${q}[2], 2) AS p95_ms, round(${q}[3], 2) AS p99_ms`;

export const latencyByApi: NamedQuery = sqlQuery({
  name: 'latency_by_api',
  description: 'End-to-end latency p50/p95/p99 (ms) per API',
  params: [P.from, P.to, P.api, P.limit(100)],
  columns: [col('api', 'string'), ...PERCENTILES],
  sql(db, p) {
    const s = latencySource(p.from, p.to);
    return `SELECT api, ${s.requests} AS requests, ${s.quantiles} AS q, ${pick('q')}
      FROM ${db}.${s.table} AS src WHERE ${timeRange(s.time)} AND ${API_FILTER}
      GROUP BY api ORDER BY requests DESC, api LIMIT {limit:UInt32}`;
  },
});

export const latencyByUpstream: NamedQuery = sqlQuery({
  name: 'latency_by_upstream',
  description: 'End-to-end latency p50/p95/p99 (ms) per API and upstream service',
  params: [P.from, P.to, P.api, P.limit(100)],
  columns: [col('api', 'string'), col('upstream_service', 'string'), ...PERCENTILES],
  sql(db, p) {
    const s = latencySource(p.from, p.to);
    return `SELECT api, upstream_service, ${s.requests} AS requests, ${s.quantiles} AS q, ${pick('q')}
      FROM ${db}.${s.table} AS src WHERE ${timeRange(s.time)} AND ${API_FILTER}
      GROUP BY api, upstream_service ORDER BY requests DESC, api, upstream_service LIMIT {limit:UInt32}`;
  },
});

export const latencyOverTime: NamedQuery = sqlQuery({
  name: 'latency_over_time',
  description: 'End-to-end latency p50/p95/p99 (ms) per time bucket (all APIs, or one API)',
  params: [P.from, P.to, P.interval, P.api],
  columns: [col('bucket', 'datetime'), ...PERCENTILES],
  sql(db, p) {
    const s = latencySource(p.from, p.to);
    return `SELECT ${BUCKET_FUNCTION[p.interval]}(${s.time}) AS bucket, ${s.requests} AS requests, ${s.quantiles} AS q, ${pick('q')}
      FROM ${db}.${s.table} AS src WHERE ${timeRange(s.time)} AND ${API_FILTER}
      GROUP BY bucket ORDER BY bucket`;
  },
});
