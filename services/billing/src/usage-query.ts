// Exact usage per customer and stamped plan for a period, deduplicated by event id within a
// consumer: an event shipped twice by a gateway (same event id) is billed once, and an event id
// reused by another consumer's traffic (any tap token can send any id) neither hides that traffic
// nor moves it to someone else's invoice.
//
// Read from the month tables when they cover the period: the month's sums per consumer and
// pricing key (invoice_usage_month, 0010), with the consumers whose event ids may repeat (event_keys,
// 0011: a (consumer, event id) hash pair with more than one row) read from the raw table instead, by
// the raw query below (which dedups exactly, and is cheap for a few consumers: the table is ordered
// by consumer). Every other consumer has no repeated event id, so its sums are its deduplicated
// usage. The enricher already stores an event once, but only among copies with the same timestamp,
// and not every row comes through it (0011's comment): the check stays, at the cost of a merge of
// sorted 64-bit keys. Without that coverage (a database that held rows before 0011), the raw query
// reads all.
import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseTime } from '@tollgate/platform';
import { isStatusClass, type Period, type StampedUsage, type UsageRow } from '@tollgate/pricing';

/** Consumer → its usage per stamped plan (plan-assignment.ts decides which plan prices it). */
export type UsageByConsumer = Map<string, StampedUsage[]>;

interface UsageRecord {
  consumer_id: string;
  plan_id: string;
  api: string;
  method: string;
  status_class: string;
  requests: string;
  request_bytes: string;
  response_bytes: string;
  last_call_ms: string;
}

/** UInt64 sums arrive as strings: exact, converted to bigint below. */
async function queryRows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 1 } });
  return result.json<T>();
}

function byConsumer(records: readonly UsageRecord[]): UsageByConsumer {
  type PlanGroup = { planId: string; rows: UsageRow[]; lastCallAt: number };
  const consumers = new Map<string, Map<string, PlanGroup>>();
  for (const r of records) {
    if (!isStatusClass(r.status_class)) continue;
    const plans = consumers.get(r.consumer_id) ?? new Map<string, PlanGroup>();
    consumers.set(r.consumer_id, plans);
    const group = plans.get(r.plan_id) ?? { planId: r.plan_id, rows: [], lastCallAt: -Infinity };
    plans.set(r.plan_id, group);
    group.rows.push({
      api: r.api,
      method: r.method,
      statusClass: r.status_class,
      requests: BigInt(r.requests),
      requestBytes: BigInt(r.request_bytes),
      responseBytes: BigInt(r.response_bytes),
    });
    group.lastCallAt = Math.max(group.lastCallAt, Number(r.last_call_ms));
  }
  return new Map([...consumers].map(([consumer, plans]) => [consumer, [...plans.values()]]));
}

/** The raw table, deduplicated per (consumer, event id); `consumers` narrows it (index on consumer_id). */
export async function usageFromRaw(client: ClickHouseClient, database: string, period: Period, consumers?: readonly string[]): Promise<UsageByConsumer> {
  const records = await queryRows<UsageRecord>(
    client,
    `SELECT customer AS consumer_id, plan AS plan_id, product AS api, verb AS method, class AS status_class,
            count() AS requests, sum(in_bytes) AS request_bytes, sum(out_bytes) AS response_bytes,
            toUnixTimestamp64Milli(max(at)) AS last_call_ms
     FROM (
       SELECT consumer_id AS customer, any(plan_id) AS plan, any(api) AS product, any(method) AS verb,
              any(status_class) AS class, any(request_bytes) AS in_bytes, any(response_bytes) AS out_bytes, any(ts) AS at
       FROM ${database}.api_requests
       WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
         AND billable AND consumer_id != ''
         ${consumers === undefined ? '' : 'AND consumer_id IN {consumers:Array(String)}'}
       GROUP BY consumer_id, event_id
     )
     GROUP BY customer, plan, product, verb, class`,
    { from: clickHouseTime(period.start), to: clickHouseTime(period.end), consumers: consumers ?? [] }
  );
  return byConsumer(records);
}

const TABLES = ['invoice_usage_month', 'event_keys'] as const;

/** True when the month tables hold every row of the period (rollup_coverage, written by the migration). */
async function tablesCover(client: ClickHouseClient, database: string, period: Period): Promise<boolean> {
  const rows = await queryRows<{ rollup_table: string; since_ms: string }>(
    client,
    `SELECT rollup_table, toString(toUnixTimestamp64Milli(min(since))) AS since_ms FROM ${database}.rollup_coverage
     WHERE rollup_table IN {tables:Array(String)} GROUP BY rollup_table`,
    { tables: [...TABLES] },
  );
  return TABLES.every((table) => rows.some((r) => r.rollup_table === table && Number(r.since_ms) <= period.start.getTime()));
}

/**
 * Consumers of the month with a (consumer, event id) hash pair stored more than once: FINAL merges
 * the sorted keys of event_keys' parts (a scan where a month's parts are merged), then the few
 * repeated consumer hashes are named from invoice_usage_month (two queries: a subquery between two
 * Distributed tables would be refused on a cluster).
 */
async function consumersWithRepeats(client: ClickHouseClient, database: string, month: string, consumers?: readonly string[]): Promise<string[]> {
  const oneConsumer = consumers === undefined ? '' : 'AND consumer_key IN (SELECT cityHash64(arrayJoin({consumers:Array(String)})))';
  // groupUniqArray, not DISTINCT: DISTINCT over FINAL is done in sorting order, ~30× the CPU here.
  const [{ keys } = { keys: [] }] = await queryRows<{ keys: string[] }>(
    client,
    `SELECT groupUniqArray(consumer_key) AS keys FROM ${database}.event_keys FINAL WHERE month = {month:Date} ${oneConsumer} AND copies > 1`,
    { month, consumers: consumers ?? [] },
  );
  if (keys.length === 0) return [];
  const named = await queryRows<{ consumer_id: string }>(
    client,
    `SELECT DISTINCT consumer_id FROM ${database}.invoice_usage_month
     WHERE month = {month:Date} AND cityHash64(consumer_id) IN {keys:Array(UInt64)}`,
    { month, keys: keys.map((key) => BigInt(key)) },
  );
  return named.map((r) => r.consumer_id);
}

/** The rollup path (see the file's comment). */
async function usageFromRollup(client: ClickHouseClient, database: string, period: Period, consumers?: readonly string[]): Promise<UsageByConsumer> {
  const month = clickHouseTime(period.start).slice(0, 10);
  const oneConsumer = consumers === undefined ? '' : 'AND consumer_id IN {consumers:Array(String)}';
  const [sums, repeated] = await Promise.all([
    queryRows<UsageRecord>(
      client,
      `SELECT consumer_id, plan_id, api, method, status_class, sum(requests) AS requests, sum(request_bytes) AS request_bytes,
              sum(response_bytes) AS response_bytes, toUnixTimestamp64Milli(max(last_call)) AS last_call_ms
       FROM ${database}.invoice_usage_month
       WHERE month = {month:Date} ${oneConsumer}
       GROUP BY consumer_id, plan_id, api, method, status_class`,
      { month, consumers: consumers ?? [] },
    ),
    consumersWithRepeats(client, database, month, consumers),
  ]);
  const usage = byConsumer(sums);
  if (repeated.length === 0) return usage;
  const exact = await usageFromRaw(client, database, period, repeated);
  for (const consumer of repeated) {
    const consumerUsage = exact.get(consumer);
    if (consumerUsage) usage.set(consumer, consumerUsage);
    else usage.delete(consumer);
  }
  return usage;
}

/** Events in usage rows: what the ledger records as a period's usage_requests. */
export function requestsOf(usage: readonly { requests: number | bigint }[]): bigint {
  return usage.reduce((sum, row) => sum + BigInt(row.requests), 0n);
}

/** `consumers`: one consumer, several (late-usage.ts prices a period's late customers in one query), or all. */
export async function usageForPeriod(client: ClickHouseClient, database: string, period: Period, consumers?: string | readonly string[]): Promise<UsageByConsumer> {
  const only = typeof consumers === 'string' ? [consumers] : consumers;
  if (await tablesCover(client, database, period)) return usageFromRollup(client, database, period, only);
  return usageFromRaw(client, database, period, only);
}
