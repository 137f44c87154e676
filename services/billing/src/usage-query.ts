// Exact usage per customer and stamped plan for a period, from the usage table, deduplicated by
// event id within a consumer: an event shipped twice by a gateway (same event id) is billed once,
// and an event id reused by another consumer's traffic (any tap token can send any id) neither
// hides that traffic nor moves it to someone else's invoice.
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

/** Events in usage rows: what the ledger records as a period's usage_requests. */
export function requestsOf(usage: readonly { requests: number | bigint }[]): bigint {
  return usage.reduce((sum, row) => sum + BigInt(row.requests), 0n);
}

/** `consumers`: one consumer, several (late-usage.ts prices a period's late customers in one query), or all. */
export async function usageForPeriod(
  client: ClickHouseClient,
  database: string,
  period: Period,
  consumers?: string | readonly string[],
): Promise<UsageByConsumer> {
  const only = consumers === undefined ? '' : typeof consumers === 'string' ? 'AND consumer_id = {consumer:String}' : 'AND consumer_id IN {consumers:Array(String)}';
  const result = await client.query({
    query: `
      SELECT customer AS consumer_id, plan AS plan_id, product AS api, verb AS method, class AS status_class,
             count() AS requests, sum(in_bytes) AS request_bytes, sum(out_bytes) AS response_bytes,
             toUnixTimestamp64Milli(max(at)) AS last_call_ms
      FROM (
        SELECT consumer_id AS customer, any(plan_id) AS plan, any(api) AS product, any(method) AS verb,
               any(status_class) AS class, any(request_bytes) AS in_bytes, any(response_bytes) AS out_bytes, any(ts) AS at
        FROM ${database}.api_requests
        WHERE ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}
          AND billable AND consumer_id != ''
          ${only}
        GROUP BY consumer_id, event_id
      )
      GROUP BY customer, plan, product, verb, class`,
    query_params: { from: clickHouseTime(period.start), to: clickHouseTime(period.end), consumer: typeof consumers === 'string' ? consumers : '', consumers: typeof consumers === 'string' ? [] : (consumers ?? []) },
    format: 'JSONEachRow',
    // UInt64 sums arrive as strings: exact, converted to bigint below.
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  type PlanGroup = { planId: string; rows: UsageRow[]; lastCallAt: number };
  const byConsumer = new Map<string, Map<string, PlanGroup>>();
  for (const r of await result.json<UsageRecord>()) {
    if (!isStatusClass(r.status_class)) continue;
    const plans = byConsumer.get(r.consumer_id) ?? new Map<string, PlanGroup>();
    byConsumer.set(r.consumer_id, plans);
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
  return new Map([...byConsumer].map(([consumer, plans]) => [consumer, [...plans.values()]]));
}
