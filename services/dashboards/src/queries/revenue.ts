// Revenue, priced exactly by the billing plans (services/billing/plans*.yaml) in TypeScript, and
// additive over time windows (@tollgate/pricing marginal-revenue.ts): for each (calendar month,
// consumer) a window touches, its revenue is the month's invoice for the usage from the month's
// start to the window's end minus the invoice for the usage up to the window's start. So revenue
// over two adjacent windows adds up to revenue over their union, per consumer and per API, and a
// window from a month's start is the month's invoice so far (plan-assignment.ts: each call under
// the plan stamped on it, one base fee for the consumer's current registry plan). The base fee
// counts in the window holding the consumer's first call of the month.
//
// Usage is read from the billing rollups (0004) in one pass for both instants (sources.ts
// splitMonthSegments: each part carries a weight per instant), per (month, consumer, stamped plan,
// API, method, status class), with what the plan cannot tell apart summed in SQL (pricing-keys.ts).
//
// Calls refused by Tollgate's policy (api_requests.decision) are neither revenue nor revenue lost:
// the billing rollups leave them out (0007), and so does the raw part of a range.
//
// Per-API figures: an API's part of a window is the change over the window of its share of the
// month-to-date invoice; a share is what lines priced by its API override charge, plus its part of
// the meter's default line in proportion to its billable units (largest remainder), and lost
// revenue by its non-billable calls. The parts add up to the window's usage revenue; base fees
// belong to no API. A part can be negative (volume tiers, or usage moving to an overridden API).
// Money stays bigint minor units and is serialised as decimal strings next to its currency.
import {
  formatMoney,
  isStatusClass,
  monthToDate,
  needsApiSplit,
  revenueChange,
  type MonthToDateResult,
  type RevenueChange,
  type StampedUsage,
  type UsageRow,
} from '@tollgate/pricing';
import { readConsumerPlans } from '@tollgate/registry';
import { REFUSED_BY_POLICY_SQL } from '@tollgate/schemas';
import { P, type QueryParams } from './params.ts';
import { pricingKeySql, pricingKeys } from './pricing-keys.ts';
import { BILLING, splitMonthSegments, splitSource, type WeightedPart } from './sources.ts';
import { CONSUMER_FILTER, col, sqlParams, type NamedQuery, type QueryContext, type Row } from './types.ts';

/**
 * month, consumer_id, plan_id, api_key, method_key, status_key, calls, request and response bytes
 * at each instant (start, end; 64-bit sums arrive as decimal text), last call at each.
 */
type UsageGroupRow = [string, string, string, string, string, string, string, string, string, string, string, string, number, number];

/** What a window added to one consumer's month, in one currency (pricing's RevenueChange), and whose. */
export interface PricedInvoice extends RevenueChange {
  month: string;
  consumerId: string;
}

export interface RevenueResult {
  invoices: PricedInvoice[];
  /** Calls whose plan is not in the plans file (unknown consumers, retired plans) or not in the invoice's currency: not priced. */
  unpriced: { calls: bigint; planIds: string[] };
}

/** Measures read in one pass: usage from the month's start to the window's start, and to its end. */
const AT_START = 0;
const AT_END = 1;
const SEGMENT_WEIGHTS = { before: [1, 1], inside: [0, 1], after: [0, 0] } as const;

function billingColumns(part: WeightedPart): string {
  const [atStart, atEnd] = part.weights as [number, number];
  const time = part.raw ? 'toDateTime(ts)' : 'bucket';
  const counter = (column: string): string => (part.raw ? (column === 'calls' ? 'toInt64(1)' : `toInt64(${column})`) : `toInt64(${column})`);
  const weighted = (column: string, weight: number, name: string): string => `${counter(column)} * ${weight} AS ${name}`;
  // The latest call before each instant, as precisely as the source knows it (plan-assignment.ts
  // rule 3); parts subtracted from a month total say nothing about it.
  const last = (weight: number, name: string): string => `${weight > 0 ? time : 'toDateTime(0)'} AS ${name}`;
  return [
    `${time} AS bucket, consumer_id, plan_id, api, ${part.raw ? 'upper(method)' : 'method'} AS method, status_class`,
    weighted('calls', atStart, 'calls_s'),
    weighted('request_bytes', atStart, 'request_bytes_s'),
    weighted('response_bytes', atStart, 'response_bytes_s'),
    last(atStart, 'last_s'),
    weighted('calls', atEnd, 'calls_e'),
    weighted('request_bytes', atEnd, 'request_bytes_e'),
    weighted('response_bytes', atEnd, 'response_bytes_e'),
    last(atEnd, 'last_e'),
  ].join(', ');
}

/** One (month, consumer): its usage per stamped plan up to each instant. */
interface MonthUsage {
  month: string;
  consumerId: string;
  upTo: [Map<string, PlanUsage>, Map<string, PlanUsage>];
  /** Some usage lies inside the range; if none does, both instants price alike and the range added nothing. */
  changed: boolean;
}
interface PlanUsage extends StampedUsage {
  rows: UsageRow[];
  lastCallAt: number;
}

const invoiceKey = (month: string, consumerId: string): string => `${month}\u0000${consumerId}`;

/** One row of usage up to one instant, into its stamped plan's group; a row with nothing up to that instant is left out. */
function addRow(groups: Map<string, PlanUsage>, planId: string, key: Pick<UsageRow, 'api' | 'method' | 'statusClass'>, calls: string, requestBytes: string, responseBytes: string, lastCall: number): void {
  if (calls === '0' && requestBytes === '0' && responseBytes === '0') return;
  let group = groups.get(planId);
  if (group === undefined) {
    group = { planId, rows: [], lastCallAt: -Infinity };
    groups.set(planId, group);
  }
  group.rows.push({ ...key, requests: BigInt(calls), requestBytes: BigInt(requestBytes), responseBytes: BigInt(responseBytes) });
  if (lastCall > group.lastCallAt) group.lastCallAt = lastCall;
}

/**
 * Usage per (month, consumer, stamped plan, API, method, status class) from the month's start to
 * the range's start and to its end, from the billing rollups, with the keys no meter distinguishes
 * collapsed in SQL (pricing-keys.ts), and the current registry plan of each consumer in it (read
 * unless `knownPlans` has them). `keepApis` keeps every API (for the per-API split); `consumers`
 * narrows the read to those consumers. Calls of no known status class are unpriced.
 */
async function readUsage(ctx: QueryContext, params: QueryParams, keepApis: boolean, consumers?: string[], knownPlans?: ReadonlyMap<string, string>) {
  const keys = pricingKeySql(pricingKeys([...ctx.plans.plans.values()], keepApis));
  const parts = splitMonthSegments(BILLING, 'billing_month', params.from, params.to, SEGMENT_WEIGHTS, ctx.retention, ctx.now());
  const where = consumers === undefined ? CONSUMER_FILTER : `consumer_id IN {split_consumers:Array(String)}`;
  const u = splitSource(ctx.database, parts, billingColumns, (part) => (part.raw ? `${where} AND NOT (${REFUSED_BY_POLICY_SQL})` : where));
  const sums = ['calls', 'request_bytes', 'response_bytes'].flatMap((c) => [`sum(src.${c}_s) AS ${c}_s`, `sum(src.${c}_e) AS ${c}_e`]);
  // JSONCompact: half the parsing of JSONEachRow.
  const [result, currentPlans] = await Promise.all([
    ctx.client.query({
      query: `SELECT toStartOfMonth(src.bucket) AS month, consumer_id, plan_id, ${keys.api} AS api_key, ${keys.method} AS method_key,
          ${keys.status} AS status_key, ${sums.join(', ')}, toUnixTimestamp(max(src.last_s)) AS last_s, toUnixTimestamp(max(src.last_e)) AS last_e
        FROM ${u.from}
        GROUP BY month, consumer_id, plan_id, api_key, method_key, status_key
        HAVING calls_s != 0 OR request_bytes_s != 0 OR response_bytes_s != 0 OR calls_e != 0 OR request_bytes_e != 0 OR response_bytes_e != 0`,
      query_params: { ...sqlParams(params), ...u.params, ...keys.params, split_consumers: consumers ?? [] },
      format: 'JSONCompact',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    }),
    knownPlans ?? readConsumerPlans(ctx.client, ctx.database, consumers),
  ]);
  const { data } = await result.json<UsageGroupRow>();
  const months = new Map<string, MonthUsage>();
  const unpriced = { calls: 0n, planIds: new Set<string>() };
  for (const [month, consumerId, planId, api, method, status, callsS, callsE, requestS, requestE, responseS, responseE, lastS, lastE] of data) {
    if (!isStatusClass(status)) {
      // Not priceable at either instant: the window's share is the difference.
      unpriced.calls += BigInt(callsE) - BigInt(callsS);
      unpriced.planIds.add(planId);
      continue;
    }
    const key = invoiceKey(month, consumerId);
    let usage = months.get(key);
    if (usage === undefined) {
      usage = { month, consumerId, upTo: [new Map<string, PlanUsage>(), new Map<string, PlanUsage>()], changed: false };
      months.set(key, usage);
    }
    // Decimal text of the same type: equal text, equal count.
    if (callsS !== callsE || requestS !== requestE || responseS !== responseE) usage.changed = true;
    addRow(usage.upTo[AT_START], planId, { api, method, statusClass: status }, callsS, requestS, responseS, lastS);
    addRow(usage.upTo[AT_END], planId, { api, method, statusClass: status }, callsE, requestE, responseE, lastE);
  }
  return { months, currentPlans, unpriced };
}

/** F at both instants of one (month, consumer): the invoice for its usage so far (plan-assignment.ts, as a billing run). */
function priceInstants(ctx: QueryContext, usage: MonthUsage, currentPlans: ReadonlyMap<string, string>, perApi: boolean): [MonthToDateResult, MonthToDateResult] {
  const price = (instant: number): MonthToDateResult => monthToDate(currentPlans.get(usage.consumerId), [...usage.upTo[instant]!.values()], ctx.plans, perApi);
  return [price(AT_START), price(AT_END)];
}

/**
 * What the range added to each (month, consumer)'s invoice, per currency. `perApi` also splits it
 * by API: only months with usage revenue or lost revenue at either instant need it, so only their
 * consumers' usage is read again with every API kept (and assigned to plans with the registry read
 * the first time).
 */
export async function priceRange(ctx: QueryContext, params: QueryParams, perApi = true): Promise<RevenueResult> {
  const { months, currentPlans, unpriced } = await readUsage(ctx, params, false);
  const priced = new Map<string, { usage: MonthUsage; instants: [MonthToDateResult, MonthToDateResult] }>();
  for (const [key, usage] of months) {
    if (!usage.changed) continue;
    const instants = priceInstants(ctx, usage, currentPlans, false);
    for (const planId of [...instants[0].unpriced.planIds, ...instants[1].unpriced.planIds]) unpriced.planIds.add(planId);
    unpriced.calls += instants[1].unpriced.calls - instants[0].unpriced.calls;
    priced.set(key, { usage, instants });
  }
  if (perApi) {
    const toSplit = [...priced].filter(([, p]) => needsApiSplit(p.instants[0].priced) || needsApiSplit(p.instants[1].priced));
    if (toSplit.length > 0) {
      const full = await readUsage(ctx, params, true, [...new Set(toSplit.map(([, p]) => p.usage.consumerId))], currentPlans);
      for (const [key, p] of toSplit) {
        const usage = full.months.get(key);
        if (usage !== undefined) p.instants = priceInstants(ctx, usage, currentPlans, true);
      }
    }
  }
  const invoices: PricedInvoice[] = [];
  for (const { usage, instants } of priced.values()) {
    for (const change of revenueChange(instants[0].priced, instants[1].priced)) invoices.push({ month: usage.month, consumerId: usage.consumerId, ...change });
  }
  return { invoices, unpriced: { calls: unpriced.calls, planIds: [...unpriced.planIds].sort() } };
}

const money = (name: string) => [col(`${name}_minor`, 'money_minor'), col(name, 'string')];
const byAmountDesc = (a: { key: bigint }, b: { key: bigint }): number => (a.key === b.key ? 0 : a.key > b.key ? -1 : 1);

export const revenueByApi: NamedQuery = {
  name: 'revenue_by_api',
  description: 'Usage revenue and revenue lost to non-billable (failed) calls per API and currency, priced by the billing plans (base fees excluded)',
  params: [P.from, P.to, P.limit(100)],
  columns: [col('api', 'string'), col('currency', 'string'), ...money('revenue'), ...money('lost_revenue')],
  async run(ctx, params) {
    const { invoices } = await priceRange(ctx, params);
    const totals = new Map<string, { api: string; currency: string; revenue: bigint; lost: bigint }>();
    for (const invoice of invoices) {
      const apis = new Set([...invoice.revenueByApi.keys(), ...invoice.lostByApi.keys()]);
      for (const api of apis) {
        const key = `${api}\u0000${invoice.currency}`;
        const t = totals.get(key) ?? { api, currency: invoice.currency, revenue: 0n, lost: 0n };
        t.revenue += invoice.revenueByApi.get(api) ?? 0n;
        t.lost += invoice.lostByApi.get(api) ?? 0n;
        totals.set(key, t);
      }
    }
    return [...totals.values()]
      .map((t) => ({ key: t.revenue, t }))
      .sort((a, b) => byAmountDesc(a, b) || (a.t.api < b.t.api ? -1 : 1))
      .slice(0, params.limit)
      .map(({ t }): Row => ({
        api: t.api,
        currency: t.currency,
        revenue_minor: t.revenue.toString(),
        revenue: formatMoney(t.revenue, t.currency),
        lost_revenue_minor: t.lost.toString(),
        lost_revenue: formatMoney(t.lost, t.currency),
      }));
  },
};

export const revenueByConsumer: NamedQuery = {
  name: 'revenue_by_consumer',
  description: 'Revenue per consumer (usage + base fees of the months the range touches) and revenue lost to non-billable calls',
  params: [P.from, P.to, P.consumer, P.limit(100)],
  columns: [
    col('consumer_id', 'string'),
    col('plan_id', 'string'),
    col('currency', 'string'),
    col('calls'),
    ...money('usage_revenue'),
    ...money('base_fee'),
    ...money('revenue'),
    ...money('lost_revenue'),
  ],
  async run(ctx, params) {
    const { invoices } = await priceRange(ctx, params, false);
    const totals = new Map<string, { consumer: string; plans: Set<string>; currency: string; calls: bigint; total: bigint; base: bigint; lost: bigint }>();
    for (const invoice of invoices) {
      const key = `${invoice.consumerId}\u0000${invoice.currency}`;
      const t = totals.get(key) ?? { consumer: invoice.consumerId, plans: new Set<string>(), currency: invoice.currency, calls: 0n, total: 0n, base: 0n, lost: 0n };
      for (const planId of invoice.planIds) t.plans.add(planId);
      t.calls += invoice.calls;
      t.total += invoice.totalMinor;
      t.base += invoice.baseFeeMinor;
      t.lost += invoice.lostRevenueMinor;
      totals.set(key, t);
    }
    return [...totals.values()]
      .map((t) => ({ key: t.total, t }))
      .sort((a, b) => byAmountDesc(a, b) || (a.t.consumer < b.t.consumer ? -1 : 1))
      .slice(0, params.limit)
      .map(({ t }): Row => ({
        consumer_id: t.consumer,
        plan_id: [...t.plans].sort().join(','),
        currency: t.currency,
        calls: Number(t.calls),
        usage_revenue_minor: (t.total - t.base).toString(),
        usage_revenue: formatMoney(t.total - t.base, t.currency),
        base_fee_minor: t.base.toString(),
        base_fee: formatMoney(t.base, t.currency),
        revenue_minor: t.total.toString(),
        revenue: formatMoney(t.total, t.currency),
        lost_revenue_minor: t.lost.toString(),
        lost_revenue: formatMoney(t.lost, t.currency),
      }));
  },
};

export const revenueSummary: NamedQuery = {
  name: 'revenue_summary',
  description: 'Totals per currency: usage revenue, base fees, revenue, revenue lost to non-billable calls; unpriced calls (plan not in the plans file)',
  params: [P.from, P.to],
  columns: [
    col('currency', 'string'),
    col('consumers'),
    col('calls'),
    ...money('usage_revenue'),
    ...money('base_fee'),
    ...money('revenue'),
    ...money('lost_revenue'),
    col('unpriced_calls'),
  ],
  async run(ctx, params) {
    const { invoices, unpriced } = await priceRange(ctx, params, false);
    const totals = new Map<string, { consumers: Set<string>; calls: bigint; total: bigint; base: bigint; lost: bigint }>();
    for (const invoice of invoices) {
      const t = totals.get(invoice.currency) ?? { consumers: new Set<string>(), calls: 0n, total: 0n, base: 0n, lost: 0n };
      t.consumers.add(invoice.consumerId);
      t.calls += invoice.calls;
      t.total += invoice.totalMinor;
      t.base += invoice.baseFeeMinor;
      t.lost += invoice.lostRevenueMinor;
      totals.set(invoice.currency, t);
    }
    const rows = [...totals.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([currency, t]): Row => ({
        currency,
        consumers: t.consumers.size,
        calls: Number(t.calls),
        usage_revenue_minor: (t.total - t.base).toString(),
        usage_revenue: formatMoney(t.total - t.base, currency),
        base_fee_minor: t.base.toString(),
        base_fee: formatMoney(t.base, currency),
        revenue_minor: t.total.toString(),
        revenue: formatMoney(t.total, currency),
        lost_revenue_minor: t.lost.toString(),
        lost_revenue: formatMoney(t.lost, currency),
        unpriced_calls: 0,
      }));
    if (unpriced.calls > 0n) {
      // Calls we cannot price get a row of their own, so they are visible rather than dropped.
      rows.push({
        currency: '',
        consumers: 0,
        calls: Number(unpriced.calls),
        usage_revenue_minor: '0',
        usage_revenue: '',
        base_fee_minor: '0',
        base_fee: '',
        revenue_minor: '0',
        revenue: '',
        lost_revenue_minor: '0',
        lost_revenue: '',
        unpriced_calls: Number(unpriced.calls),
      });
    }
    return rows;
  },
};
