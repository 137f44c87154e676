// Revenue of a time window, made additive: a window that cuts a billing period is worth what it
// added to the period's invoice, not its own usage priced "as if it were the whole month" (which
// loses included units, tiers and package rounding to whichever window comes first, and made
// short windows read zero while their calls were charged).
//
// For each (calendar month, consumer) the window touches, with F(t) = the month's invoice for the
// usage from the month's start to instant t (plan-assignment.ts, the rule billing runs apply):
//
//   revenue(window [a, b)) = F(min(b, month end)) − F(max(a, month start))
//
// so revenue(a, b) + revenue(b, c) = revenue(a, c) to the minor unit, whatever the price models, and
// a window from a month's start is the month's invoice so far. Under volume tiers extra usage can
// lower an invoice, so a window's part can be negative: that is what it did to the invoice.
// The same holds for lost revenue (what non-billable-status calls would have added) and calls.
//
// - Base fee: F(t) is zero until the consumer's first call of the month and includes the base fee
//   from then on, so the base fee is counted in the window holding the month's first call (a
//   window from the month's start includes it whenever the consumer has used the API by its end).
// - Currency: F(t) is in the invoice's currency at t; if that changes within a month (a consumer
//   not in the registry whose latest calls move to a plan in another currency), each end is counted
//   in its own currency, so the sum over windows still telescopes per currency.
// - Per API: F(t) is split over APIs by splitInvoiceByApi's rule, and an API's part of a window is
//   the change of its share of F over the window; the parts add up to the usage revenue (no base
//   fee) of the window, and add up across windows like the totals.
import { assignPlans, assignmentTotals } from './plan-assignment.ts';
import { priceInvoice } from './price.ts';
import type { Plan, PlanCatalog, UsageRow } from './types.ts';
import type { StampedUsage } from './plan-assignment.ts';
import { meterUsage } from './usage.ts';

/** Splits `total` (≥ 0) over `weights` proportionally; the parts add up to `total` exactly (largest remainder). */
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

function addTo(map: Map<string, bigint>, key: string, value: bigint): void {
  if (value !== 0n) map.set(key, (map.get(key) ?? 0n) + value);
}

/**
 * One plan's usage revenue and lost revenue per API. Lines priced by an API override belong to that
 * API; a meter's default line is split over its APIs in proportion to their billable units, lost
 * revenue over the APIs of the non-billable calls (allocate: the parts add up exactly). Base fees
 * belong to no API.
 */
export function splitInvoiceByApi(plan: Plan, rows: readonly UsageRow[]): { revenueByApi: Map<string, bigint>; lostByApi: Map<string, bigint> } {
  const invoice = priceInvoice(plan, rows);
  const revenueByApi = new Map<string, bigint>();
  for (const meter of plan.meters) {
    const { billable } = meterUsage(plan, meter, rows);
    const overrides = meter.apiOverrides ?? {};
    for (const line of invoice.lines) {
      if (line.kind !== 'usage' || line.meterId !== meter.id || line.amountMinor === 0n) continue;
      if (line.api !== undefined) {
        addTo(revenueByApi, line.api, line.amountMinor);
        continue;
      }
      const weights = new Map([...billable].filter(([api]) => !Object.hasOwn(overrides, api)));
      for (const [api, part] of allocate(line.amountMinor, weights)) addTo(revenueByApi, api, part);
    }
  }
  const nonBillableCalls = new Map<string, bigint>();
  for (const row of rows) {
    if (!plan.billableStatuses.has(row.statusClass)) addTo(nonBillableCalls, row.api, BigInt(row.requests));
  }
  return { revenueByApi, lostByApi: allocate(invoice.lostRevenueMinor, nonBillableCalls) };
}

/** F(t): one consumer's invoice for its usage from the month's start to an instant. */
export interface MonthToDate {
  currency: string;
  /** The plans pricing it (plan-assignment.ts groups), in plan id order. */
  planIds: string[];
  totalMinor: bigint;
  baseFeeMinor: bigint;
  lostRevenueMinor: bigint;
  /** Calls priced (in a group of the invoice). */
  calls: bigint;
  /** Usage revenue (no base fee) and lost revenue per API; empty unless asked for. */
  revenueByApi: Map<string, bigint>;
  lostByApi: Map<string, bigint>;
}

export interface MonthToDateResult {
  /** Undefined while nothing is priceable (no call yet, or none under a known plan). */
  priced: MonthToDate | undefined;
  /** Calls no plan prices (plan-assignment.ts rule 4), and those plans. */
  unpriced: { calls: bigint; planIds: string[] };
}

const callsOf = (rows: readonly UsageRow[]): bigint => rows.reduce((sum, row) => sum + BigInt(row.requests), 0n);

/**
 * F(t) for a consumer whose plan in the registry is `currentPlanId` (undefined: not in the
 * registry) and whose usage from the month's start to t is `usage`. `perApi` also splits it by API
 * (only priced when there is usage revenue or lost revenue to split).
 */
export function monthToDate(currentPlanId: string | undefined, usage: readonly StampedUsage[], catalog: PlanCatalog, perApi = false): MonthToDateResult {
  if (!usage.some((group) => group.rows.length > 0)) return { priced: undefined, unpriced: { calls: 0n, planIds: [] } };
  const assignment = assignPlans(currentPlanId, usage, catalog);
  const unpriced = {
    calls: assignment.unpriced.reduce((sum, u) => sum + callsOf(u.rows), 0n),
    planIds: [...new Set(assignment.unpriced.map((u) => u.planId))].sort(),
  };
  const totals = assignmentTotals(assignment);
  if (totals === undefined || assignment.invoicePlan === undefined) return { priced: undefined, unpriced };
  const priced: MonthToDate = {
    currency: assignment.invoicePlan.currency,
    planIds: assignment.groups.map((g) => g.plan.id),
    ...totals,
    calls: assignment.groups.reduce((sum, g) => sum + callsOf(g.rows), 0n),
    revenueByApi: new Map(),
    lostByApi: new Map(),
  };
  if (perApi && needsApiSplit(priced)) {
    for (const group of assignment.groups) {
      const split = splitInvoiceByApi(group.plan, group.rows);
      for (const [api, amount] of split.revenueByApi) addTo(priced.revenueByApi, api, amount);
      for (const [api, amount] of split.lostByApi) addTo(priced.lostByApi, api, amount);
    }
  }
  return { priced, unpriced };
}

/** Only usage revenue and lost revenue are split by API: an invoice of its base fee alone has nothing to split. */
export function needsApiSplit(value: Pick<MonthToDate, 'totalMinor' | 'baseFeeMinor' | 'lostRevenueMinor'> | undefined): boolean {
  return value !== undefined && (value.totalMinor !== value.baseFeeMinor || value.lostRevenueMinor !== 0n);
}

/** What a window added to one consumer's month, in one currency: F(end) − F(start), same fields. */
export type RevenueChange = MonthToDate;

function emptyChange(currency: string): RevenueChange {
  return { currency, planIds: [], totalMinor: 0n, baseFeeMinor: 0n, lostRevenueMinor: 0n, calls: 0n, revenueByApi: new Map(), lostByApi: new Map() };
}

function accumulate(into: RevenueChange, value: MonthToDate, sign: 1n | -1n): void {
  into.planIds = [...new Set([...into.planIds, ...value.planIds])].sort();
  into.totalMinor += sign * value.totalMinor;
  into.baseFeeMinor += sign * value.baseFeeMinor;
  into.lostRevenueMinor += sign * value.lostRevenueMinor;
  into.calls += sign * value.calls;
  for (const [api, amount] of value.revenueByApi) addTo(into.revenueByApi, api, sign * amount);
  for (const [api, amount] of value.lostByApi) addTo(into.lostByApi, api, sign * amount);
}

/**
 * F(end) − F(start), one entry per currency involved (one, unless the invoice's currency changed
 * between the two instants); empty when neither instant has anything priced.
 */
export function revenueChange(start: MonthToDate | undefined, end: MonthToDate | undefined): RevenueChange[] {
  const byCurrency = new Map<string, RevenueChange>();
  const entry = (currency: string): RevenueChange => {
    const change = byCurrency.get(currency) ?? emptyChange(currency);
    byCurrency.set(currency, change);
    return change;
  };
  if (end) accumulate(entry(end.currency), end, 1n);
  if (start) accumulate(entry(start.currency), start, -1n);
  return [...byCurrency.values()];
}
