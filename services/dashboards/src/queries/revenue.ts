// Revenue, priced exactly by the billing plans (services/billing/plans*.yaml) in TypeScript.
//
// Usage is read from the billing rollups (0004) aggregated per (calendar month, consumer, stamped
// plan, API, method, status class), with what the plan cannot tell apart summed in SQL
// (pricing-keys.ts), and each (month, consumer) is priced as one invoice by the rule billing runs
// apply (@tollgate/pricing plan-assignment.ts: each call under the plan stamped on it, one base fee
// for the consumer's current registry plan), so a month's revenue here is the month's invoice.
// A range that cuts a month prices the usage inside the range as if it were the whole month
// (revenue "to date").
//
// Calls refused by Tollgate's policy (api_requests.decision) are neither revenue nor revenue lost:
// the billing rollups leave them out (0007), and so does the raw part of a range.
//
// Per-API figures: lines priced by an API override belong to that API; a meter's default line is
// split across its APIs in proportion to their billable units (largest remainder, so the parts add
// up to the line exactly). Lost revenue is split by non-billable calls. Base fees belong to no API.
// Money stays bigint minor units and is serialised as decimal strings next to its currency.
import {
  assignmentTotals,
  assignPlans,
  formatMoney,
  isStatusClass,
  meterUsage,
  priceInvoice,
  type Plan,
  type PlanAssignment,
  type StampedUsage,
  type UsageRow,
} from '@tollgate/pricing';
import { readConsumerPlans } from '@tollgate/registry';
import { REFUSED_BY_POLICY_SQL } from '@tollgate/schemas';
import { P, type QueryParams } from './params.ts';
import { pricingKeySql, pricingKeys } from './pricing-keys.ts';
import { BILLING, splitMonths, splitSource, type SignedPart } from './sources.ts';
import { CONSUMER_FILTER, col, sqlParams, type NamedQuery, type QueryContext, type Row } from './types.ts';

/** month, consumer_id, plan_id, api_key, method_key, status_key, calls, request_bytes, response_bytes, last_call */
type UsageGroupRow = [string, string, string, string, string, string, string, string, string, number];

export interface PricedInvoice {
  month: string;
  consumerId: string;
  /** The plans that price the month (plan-assignment.ts): the current plan and those calls were made under. */
  planIds: string[];
  currency: string;
  totalMinor: bigint;
  baseFeeMinor: bigint;
  lostRevenueMinor: bigint;
  /** Usage revenue (no base fee) per API; empty unless priced per API. */
  revenueByApi: Map<string, bigint>;
  /** Empty unless priced per API. */
  lostByApi: Map<string, bigint>;
  calls: bigint;
}

export interface RevenueResult {
  invoices: PricedInvoice[];
  /** Calls whose plan is not in the plans file (unknown consumers, retired plans) or not in the invoice's currency: not priced. */
  unpriced: { calls: bigint; planIds: string[] };
}

/** Splits `total` over `weights` proportionally; the parts add up to `total` exactly. */
export function allocate(total: bigint, weights: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const out = new Map<string, bigint>();
  let sum = 0n;
  for (const w of weights.values()) sum += w;
  if (total === 0n || sum === 0n) return out;
  const remainders: [string, bigint][] = [];
  let given = 0n;
  for (const [key, w] of weights) {
    const part = (total * w) / sum;
    out.set(key, part);
    given += part;
    remainders.push([key, (total * w) % sum]);
  }
  remainders.sort(([ka, a], [kb, b]) => (a === b ? (ka < kb ? -1 : 1) : a > b ? -1 : 1));
  for (let i = 0; given < total; i++, given++) {
    const [key] = remainders[i % remainders.length]!;
    out.set(key, (out.get(key) ?? 0n) + 1n);
  }
  return out;
}

const add = (map: Map<string, bigint>, key: string, value: bigint): void => {
  if (value !== 0n) map.set(key, (map.get(key) ?? 0n) + value);
};

function billingColumns(part: SignedPart): string {
  const signed = (column: string): string => `toInt64(${column}) * ${part.sign} AS ${column}`;
  const counters = `${signed('calls')}, ${signed('request_bytes')}, ${signed('response_bytes')}`;
  return part.raw
    ? `toDateTime(ts) AS bucket, consumer_id, plan_id, api, upper(method) AS method, status_class, toInt64(${part.sign}) AS calls, ` +
        `toInt64(request_bytes) * ${part.sign} AS request_bytes, toInt64(response_bytes) * ${part.sign} AS response_bytes`
    : `bucket, consumer_id, plan_id, api, method, status_class, ${counters}`;
}

/** One invoice's usage: a consumer's usage in one calendar month, per stamped plan. */
interface MonthUsage {
  month: string;
  consumerId: string;
  stamped: Map<string, { planId: string; rows: UsageRow[]; lastCallAt: number }>;
}

const invoiceKey = (month: string, consumerId: string): string => `${month}\u0000${consumerId}`;

/**
 * Usage per (month, consumer, stamped plan, API, method, status class) from the billing rollups,
 * with the keys no meter distinguishes collapsed in SQL (pricing-keys.ts), grouped per invoice, and
 * the current registry plan of each consumer in it (read unless `knownPlans` has them). `keepApis`
 * keeps every API (for the per-API split); `consumers` narrows the read to those consumers. Calls of no known status class are unpriced.
 */
async function readUsage(ctx: QueryContext, params: QueryParams, keepApis: boolean, consumers?: string[], knownPlans?: ReadonlyMap<string, string>) {
  const keys = pricingKeySql(pricingKeys([...ctx.plans.plans.values()], keepApis));
  const parts = splitMonths(BILLING, 'billing_month', params.from, params.to, ctx.retention, ctx.now());
  const where = consumers === undefined ? CONSUMER_FILTER : `consumer_id IN {split_consumers:Array(String)}`;
  const u = splitSource(ctx.database, parts, billingColumns, (part) => (part.raw ? `${where} AND NOT (${REFUSED_BY_POLICY_SQL})` : where));
  // JSONCompact: half the parsing of JSONEachRow. The latest bucket of a group is when its latest
  // call was made, as precisely as the source knows it (plan-assignment.ts rule 3).
  const [result, currentPlans] = await Promise.all([
    ctx.client.query({
      query: `SELECT toStartOfMonth(src.bucket) AS month, consumer_id, plan_id, ${keys.api} AS api_key, ${keys.method} AS method_key,
          ${keys.status} AS status_key, sum(src.calls) AS calls, sum(src.request_bytes) AS request_bytes, sum(src.response_bytes) AS response_bytes,
          toUnixTimestamp(max(src.bucket)) AS last_call
        FROM ${u.from}
        GROUP BY month, consumer_id, plan_id, api_key, method_key, status_key
        HAVING calls != 0 OR request_bytes != 0 OR response_bytes != 0`,
      query_params: { ...sqlParams(params), ...u.params, ...keys.params, split_consumers: consumers ?? [] },
      format: 'JSONCompact',
    }),
    knownPlans ?? readConsumerPlans(ctx.client, ctx.database, consumers),
  ]);
  const { data } = await result.json<UsageGroupRow>();
  const invoices = new Map<string, MonthUsage>();
  const unpriced = { calls: 0n, planIds: new Set<string>() };
  for (const [month, consumerId, planId, api, method, status, calls, requestBytes, responseBytes, lastCall] of data) {
    if (!isStatusClass(status)) {
      unpriced.calls += BigInt(calls);
      unpriced.planIds.add(planId);
      continue;
    }
    const key = invoiceKey(month, consumerId);
    const invoice: MonthUsage = invoices.get(key) ?? { month, consumerId, stamped: new Map() };
    invoices.set(key, invoice);
    const group = invoice.stamped.get(planId) ?? { planId, rows: [], lastCallAt: -Infinity };
    invoice.stamped.set(planId, group);
    group.rows.push({
      api,
      method,
      statusClass: status,
      requests: BigInt(calls),
      requestBytes: BigInt(requestBytes),
      responseBytes: BigInt(responseBytes),
    });
    group.lastCallAt = Math.max(group.lastCallAt, Number(lastCall));
  }
  return { invoices, currentPlans, unpriced };
}

/** The month's plan assignment: the same rule, and so the same invoice, as a billing run's. */
function assign(ctx: QueryContext, usage: MonthUsage, currentPlans: ReadonlyMap<string, string>): PlanAssignment {
  const stamped: StampedUsage[] = [...usage.stamped.values()];
  return assignPlans(currentPlans.get(usage.consumerId), stamped, ctx.plans);
}

const callsOf = (rows: readonly UsageRow[]): bigint => rows.reduce((sum, row) => sum + BigInt(row.requests), 0n);

/** An invoice's usage revenue and lost revenue per API, from its usage with every API kept. */
function splitInvoiceByApi(plan: Plan, rows: readonly UsageRow[]): { revenueByApi: Map<string, bigint>; lostByApi: Map<string, bigint> } {
  const invoice = priceInvoice(plan, rows);
  const revenueByApi = new Map<string, bigint>();
  for (const meter of plan.meters) {
    const { billable } = meterUsage(plan, meter, rows);
    const overrides = meter.apiOverrides ?? {};
    for (const line of invoice.lines) {
      if (line.kind !== 'usage' || line.meterId !== meter.id || line.amountMinor === 0n) continue;
      if (line.api !== undefined) {
        add(revenueByApi, line.api, line.amountMinor);
        continue;
      }
      const weights = new Map([...billable].filter(([api]) => !Object.hasOwn(overrides, api)));
      for (const [api, part] of allocate(line.amountMinor, weights)) add(revenueByApi, api, part);
    }
  }
  const nonBillableCalls = new Map<string, bigint>();
  for (const row of rows) {
    if (!plan.billableStatuses.has(row.statusClass)) add(nonBillableCalls, row.api, BigInt(row.requests));
  }
  return { revenueByApi, lostByApi: allocate(invoice.lostRevenueMinor, nonBillableCalls) };
}

/**
 * Prices the range's usage per (month, consumer). `perApi` also splits revenue by API: only
 * invoices with usage revenue or lost revenue need it, so only their consumers' usage is read again
 * with every API kept (and assigned to plans with the registry read the first time).
 */
export async function priceRange(ctx: QueryContext, params: QueryParams, perApi = true): Promise<RevenueResult> {
  const { invoices: usage, currentPlans, unpriced } = await readUsage(ctx, params, false);
  const invoices = new Map<string, PricedInvoice>();
  for (const [key, month] of usage) {
    const assignment = assign(ctx, month, currentPlans);
    for (const u of assignment.unpriced) {
      unpriced.calls += callsOf(u.rows);
      unpriced.planIds.add(u.planId);
    }
    const totals = assignmentTotals(assignment);
    if (totals === undefined || assignment.invoicePlan === undefined) continue;
    invoices.set(key, {
      month: month.month,
      consumerId: month.consumerId,
      planIds: assignment.groups.map((g) => g.plan.id),
      currency: assignment.invoicePlan.currency,
      ...totals,
      revenueByApi: new Map(),
      lostByApi: new Map(),
      calls: assignment.groups.reduce((sum, g) => sum + callsOf(g.rows), 0n),
    });
  }
  if (perApi) {
    const toSplit = [...invoices].filter(([, i]) => i.totalMinor !== i.baseFeeMinor || i.lostRevenueMinor !== 0n);
    if (toSplit.length > 0) {
      const full = await readUsage(ctx, params, true, [...new Set(toSplit.map(([, i]) => i.consumerId))], currentPlans);
      for (const [key, invoice] of toSplit) {
        const month = full.invoices.get(key);
        if (month === undefined) continue;
        for (const group of assign(ctx, month, currentPlans).groups) {
          const split = splitInvoiceByApi(group.plan, group.rows);
          for (const [api, amount] of split.revenueByApi) add(invoice.revenueByApi, api, amount);
          for (const [api, amount] of split.lostByApi) add(invoice.lostByApi, api, amount);
        }
      }
    }
  }
  return { invoices: [...invoices.values()], unpriced: { calls: unpriced.calls, planIds: [...unpriced.planIds].sort() } };
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
