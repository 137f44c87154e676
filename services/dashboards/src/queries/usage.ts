// Usage questions, answered from the rollups when the range allows (see sources.ts).
import { P } from './params.ts';
import type { QueryParams } from './params.ts';
import { BUCKET_FUNCTION, CONSUMERS, GEO, SUMS as s, USAGE, splitRange, splitSource, splitUsage, type RangePart, type RollupFamily, type SplitSource } from './sources.ts';
import { API_FILTER, CONSUMER_FILTER, col, sqlQuery, type NamedQuery, type QueryContext } from './types.ts';

const ERRORS = [col('client_errors'), col('server_errors')];

export const topApis: NamedQuery = sqlQuery({
  name: 'top_apis',
  description: 'API products by number of calls, with billable calls, errors and bytes',
  params: [P.from, P.to, P.consumer, P.limit(10)],
  columns: [col('api', 'string'), col('calls'), col('billable_calls'), ...ERRORS, col('request_bytes'), col('response_bytes')],
  sql(db, p, ctx) {
    const u = splitUsage(db, p.from, p.to, 'day', ctx.retention, ctx.now(), CONSUMER_FILTER);
    return {
      params: u.params,
      sql: `SELECT api, ${s.calls} AS calls, ${s.billable} AS billable_calls,
        ${s.callsIf("status_class = '4xx'")} AS client_errors, ${s.callsIf("status_class = '5xx'")} AS server_errors,
        ${s.requestBytes} AS request_bytes, ${s.responseBytes} AS response_bytes
      FROM ${u.from}
      GROUP BY api ORDER BY calls DESC, api LIMIT {limit:UInt32}`,
    };
  },
});

export const callsOverTime: NamedQuery = sqlQuery({
  name: 'calls_over_time',
  description: 'Calls per time bucket (all APIs, or one API / consumer)',
  params: [P.from, P.to, P.interval, P.api, P.consumer],
  columns: [col('bucket', 'datetime'), col('calls'), col('billable_calls'), ...ERRORS],
  sql(db, p, ctx) {
    const u = splitUsage(db, p.from, p.to, p.interval, ctx.retention, ctx.now(), `${API_FILTER} AND ${CONSUMER_FILTER}`);
    return {
      params: u.params,
      sql: `SELECT ${BUCKET_FUNCTION[p.interval]}(src.bucket) AS bucket, ${s.calls} AS calls, ${s.billable} AS billable_calls,
        ${s.callsIf("status_class = '4xx'")} AS client_errors, ${s.callsIf("status_class = '5xx'")} AS server_errors
      FROM ${u.from}
      GROUP BY bucket ORDER BY bucket`,
    };
  },
});

export const statusOverTime: NamedQuery = sqlQuery({
  name: 'status_over_time',
  description: 'Success (2xx), client error (4xx), server error (5xx) and other (1xx/3xx) calls per API and time bucket',
  params: [P.from, P.to, P.interval, P.api, P.consumer],
  columns: [col('bucket', 'datetime'), col('api', 'string'), col('success'), col('client_error'), col('server_error'), col('other')],
  sql(db, p, ctx) {
    const u = splitUsage(db, p.from, p.to, p.interval, ctx.retention, ctx.now(), `${API_FILTER} AND ${CONSUMER_FILTER}`);
    return {
      params: u.params,
      sql: `SELECT ${BUCKET_FUNCTION[p.interval]}(src.bucket) AS bucket, api,
        ${s.callsIf("status_class = '2xx'")} AS success, ${s.callsIf("status_class = '4xx'")} AS client_error,
        ${s.callsIf("status_class = '5xx'")} AS server_error, ${s.callsIf("status_class NOT IN ('2xx', '4xx', '5xx')")} AS other
      FROM ${u.from}
      GROUP BY bucket, api ORDER BY bucket, api`,
    };
  },
});

export const callsByCountry: NamedQuery = sqlQuery({
  name: 'calls_by_country',
  description: 'Calls per country (ISO 3166 code; empty when the IP could not be located)',
  params: [P.from, P.to, P.api, P.consumer, P.limit(250)],
  columns: [col('country', 'string'), col('calls'), col('billable_calls'), ...ERRORS],
  sql(db, p, ctx) {
    const u = splitUsage(db, p.from, p.to, 'day', ctx.retention, ctx.now(), `${API_FILTER} AND ${CONSUMER_FILTER}`);
    return {
      params: u.params,
      sql: `SELECT country, ${s.calls} AS calls, ${s.billable} AS billable_calls,
        ${s.callsIf("status_class = '4xx'")} AS client_errors, ${s.callsIf("status_class = '5xx'")} AS server_errors
      FROM ${u.from}
      GROUP BY country ORDER BY calls DESC, country LIMIT {limit:UInt32}`,
    };
  },
});

// Cities come from geo_day, which has no consumer: a consumer's cities are read raw (the raw table
// is ordered by consumer first, so that read is narrow).
const RAW_ONLY: RollupFamily = { raw: GEO.raw, rollups: {} };

function cityColumns(part: RangePart): string {
  return part.raw
    ? 'api, country, region, city, toUInt64(1) AS calls, toFloat64(latitude) AS latitude_sum, toFloat64(longitude) AS longitude_sum'
    : 'api, country, region, city, calls, latitude_sum, longitude_sum';
}

export const callsByCity: NamedQuery = sqlQuery({
  name: 'calls_by_city',
  description: 'Calls per city with coordinates, for maps',
  params: [P.from, P.to, P.api, P.consumer, P.limit(200)],
  columns: [col('country', 'string'), col('region', 'string'), col('city', 'string'), col('latitude', 'number'), col('longitude', 'number'), col('calls')],
  sql(db, p, ctx) {
    const family = p.consumer === undefined ? GEO : RAW_ONLY;
    const where = `${API_FILTER} AND city != ''${p.consumer === undefined ? '' : ` AND ${CONSUMER_FILTER}`}`;
    const u = splitSource(db, splitRange(family, p.from, p.to, 'day', ctx.retention, ctx.now()), cityColumns, where);
    return {
      params: u.params,
      sql: `SELECT country, region, city, round(sum(src.latitude_sum) / sum(src.calls), 4) AS latitude,
        round(sum(src.longitude_sum) / sum(src.calls), 4) AS longitude, sum(src.calls) AS calls
      FROM ${u.from}
      GROUP BY country, region, city ORDER BY calls DESC, country, city LIMIT {limit:UInt32}`,
    };
  },
});

/** Counters per consumer from any part of a CONSUMERS or USAGE split. */
function consumerColumns(part: RangePart): string {
  if (part.raw) {
    return "toDateTime(ts) AS bucket, consumer_id, org_id, plan_id, toUInt64(1) AS calls, toUInt64(billable) AS billable_calls, " +
      "toUInt64(status_class = '4xx') AS client_errors, toUInt64(status_class = '5xx') AS server_errors";
  }
  if (part.table === CONSUMERS.rollups.day) return 'bucket, consumer_id, org_id, plan_id, calls, billable_calls, client_errors, server_errors';
  return "bucket, consumer_id, org_id, plan_id, calls, billable_calls, if(status_class = '4xx', calls, 0) AS client_errors, " +
    "if(status_class = '5xx', calls, 0) AS server_errors";
}

/** Per-consumer counters of the range: consumer_day when no API is asked for (it has no API column). */
function splitConsumers(db: string, p: QueryParams, ctx: QueryContext): SplitSource {
  const family = p.api === undefined ? CONSUMERS : USAGE;
  return splitSource(db, splitRange(family, p.from, p.to, 'day', ctx.retention, ctx.now()), consumerColumns, p.api === undefined ? 'true' : API_FILTER);
}

const CONSUMER_SUMS = `sum(src.calls) AS calls, sum(src.billable_calls) AS billable_calls,
          sum(src.client_errors) AS client_errors, sum(src.server_errors) AS server_errors`;

export const topConsumers: NamedQuery = sqlQuery({
  name: 'top_consumers',
  description: 'Most active consumers, with their organisation, plan and registry name',
  params: [P.from, P.to, P.api, P.limit(10)],
  columns: [col('consumer_id', 'string'), col('name', 'string'), col('org_id', 'string'), col('plan_id', 'string'), col('calls'), col('billable_calls'), ...ERRORS],
  sql(db, p, ctx) {
    const u = splitConsumers(db, p, ctx);
    return {
      params: u.params,
      sql: `SELECT u.consumer_id AS consumer_id, c.name AS name, u.org_id AS org_id, u.plan_id AS plan_id,
        u.calls AS calls, u.billable_calls AS billable_calls, u.client_errors AS client_errors, u.server_errors AS server_errors
      FROM (
        SELECT consumer_id, argMax(org_id, src.bucket) AS org_id, argMax(plan_id, src.bucket) AS plan_id, ${CONSUMER_SUMS}
        FROM ${u.from}
        GROUP BY consumer_id ORDER BY calls DESC, consumer_id LIMIT {limit:UInt32}
      ) AS u
      LEFT JOIN (SELECT consumer_id, name FROM ${db}.consumers FINAL WHERE NOT deleted) AS c ON c.consumer_id = u.consumer_id
      ORDER BY calls DESC, consumer_id`,
    };
  },
});

export const topOrganisations: NamedQuery = sqlQuery({
  name: 'top_organisations',
  description: 'Most active organisations, with their number of active consumers',
  params: [P.from, P.to, P.api, P.limit(10)],
  columns: [col('org_id', 'string'), col('consumers'), col('calls'), col('billable_calls'), ...ERRORS],
  sql(db, p, ctx) {
    const u = splitConsumers(db, p, ctx);
    return {
      params: u.params,
      sql: `SELECT org_id, uniqExact(consumer_id) AS consumers, ${CONSUMER_SUMS}
      FROM ${u.from}
      GROUP BY org_id ORDER BY calls DESC, org_id LIMIT {limit:UInt32}`,
    };
  },
});

/** The tenant-scoped usage of GET /v1/usage (the consumer filter is forced for consumer tokens). */
export const consumerUsage: NamedQuery = sqlQuery({
  name: 'usage',
  description: 'Usage per time bucket, API and status class (GET /v1/usage; consumer tokens see their own only)',
  params: [P.from, P.to, { ...P.interval, default: 'day' }, P.api, P.consumer],
  columns: [col('bucket', 'datetime'), col('api', 'string'), col('status_class', 'string'), col('calls'), col('billable_calls'), col('request_bytes'), col('response_bytes')],
  sql(db, p, ctx) {
    const u = splitUsage(db, p.from, p.to, p.interval, ctx.retention, ctx.now(), `${API_FILTER} AND ${CONSUMER_FILTER}`);
    return {
      params: u.params,
      sql: `SELECT ${BUCKET_FUNCTION[p.interval]}(src.bucket) AS bucket, api, status_class, ${s.calls} AS calls, ${s.billable} AS billable_calls,
        ${s.requestBytes} AS request_bytes, ${s.responseBytes} AS response_bytes
      FROM ${u.from}
      GROUP BY bucket, api, status_class ORDER BY bucket, api, status_class`,
    };
  },
});
