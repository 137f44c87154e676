// The latest requests of a range, newest first: the drill-down's "what just happened" for one API
// or one consumer. Read from the raw table (a row per call, no rollup holds them), bounded by the
// range and the limit, so the scan stays narrow.
import { P } from './params.ts';
import { API_FILTER, CONSUMER_FILTER, col, sqlQuery, type NamedQuery } from './types.ts';

export const latestRequests: NamedQuery = sqlQuery({
  name: 'latest_requests',
  description: 'The latest calls of the range, newest first, with status, gateway decision and place',
  params: [P.from, P.to, P.api, P.consumer, P.limit(50)],
  columns: [
    col('ts', 'datetime'),
    col('consumer_id', 'string'),
    col('api', 'string'),
    col('method', 'string'),
    col('path', 'string'),
    col('status'),
    col('decision', 'string'),
    col('billable'),
    col('country', 'string'),
    col('city', 'string'),
  ],
  sql: (db) => `SELECT ts, consumer_id, api, method, path, status, decision, toUInt8(billable) AS billable, country, city
      FROM ${db}.api_requests
      WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')} AND ${API_FILTER} AND ${CONSUMER_FILTER}
      ORDER BY ts DESC, event_id LIMIT {limit:UInt32}`,
});
