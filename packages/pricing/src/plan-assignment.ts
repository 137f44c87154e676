// Which plan prices which usage of one consumer in one period. This is the one rule that billing
// runs, dry runs and the revenue dashboards (and invoice previews) apply, so that an invoice and the
// revenue dashboard price a period the same way, including after a mid-period plan change:
//
//  1. Each call is priced under the plan in force when it was made: the plan_id the enricher stamped
//     on its row. A row stamped with no plan (the consumer was unknown to the registry at ingestion)
//     is priced under the consumer's current registry plan.
//  2. A plan's included units and tiers apply to the calls made under it: the usage under each plan
//     is priced as a group of its own.
//  3. The base fee is charged once per period, for the plan in force at the period's end: the
//     consumer's current registry plan. For a consumer not in the registry, it is the plan of its
//     priced group with the latest call; of groups whose latest calls are equally late, the plan id
//     first in code-unit order. No proration.
//  4. Usage under a plan that is not in the plans file is unpriced (reported, never billed). So is
//     usage under a plan whose currency is not the invoice's, for an invoice has one currency: the
//     base-fee plan's (without one, the currency of the plan rule 3 would pick).
//  5. Lines: a consumer with one plan in the period gets exactly priceInvoice's lines (the ledger's
//     and Stripe's line keys depend on them); with several, every usage line names its plan
//     (UsageLine.planId, key plan:meter[:api]) so the keys stay unique, and the base fee comes once.
import { priceInvoice, withinIncludedUnits } from './price.ts';
import type { InvoiceDraft, InvoiceLine, Plan, PlanCatalog, UsageRow } from './types.ts';

/** The usage of one consumer in the period stamped with one plan id. */
export interface StampedUsage {
  /** plan_id stamped on the rows; '' for rows stamped with no plan. */
  readonly planId: string;
  readonly rows: readonly UsageRow[];
  /**
   * When the group's latest call was made, as a number that orders calls (epoch milliseconds, or a
   * coarser bucket start): only compared between the groups of one consumer, for rule 3.
   */
  readonly lastCallAt: number;
}

/** Usage one plan prices. */
export interface PlanGroup {
  readonly plan: Plan;
  readonly rows: readonly UsageRow[];
}

export interface UnpricedUsage {
  /** The plan the rows would be priced under ('' when neither the row nor the registry names one). */
  readonly planId: string;
  readonly reason: 'unknown_plan' | 'other_currency';
  readonly rows: readonly UsageRow[];
}

export interface PlanAssignment {
  /**
   * The plans that price the period, in plan id order, each with the usage made under it; the
   * base-fee plan is always among them (with no rows when no call was made under it).
   */
  readonly groups: readonly PlanGroup[];
  /** The plan whose base fee the period is charged (rule 3); undefined: no base fee. */
  readonly baseFeePlan: Plan | undefined;
  /** The plan that names the invoice (its plan_id and currency): the base-fee plan, else the rule-3 pick. */
  readonly invoicePlan: Plan | undefined;
  readonly unpriced: readonly UnpricedUsage[];
}

const byPlanId = (a: { planId: string }, b: { planId: string }): number => (a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : 0);

/** Rule 3 for a consumer not in the registry: the group with the latest call, ties to the first plan id. */
function latestGroup<T extends { planId: string; lastCallAt: number }>(groups: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const group of groups) {
    if (best === undefined || group.lastCallAt > best.lastCallAt || (group.lastCallAt === best.lastCallAt && group.planId < best.planId)) best = group;
  }
  return best;
}

/**
 * Applies the rule above. `currentPlanId` is the consumer's plan in the registry now, undefined
 * for a consumer not in the registry.
 */
export function assignPlans(currentPlanId: string | undefined, usage: readonly StampedUsage[], catalog: PlanCatalog): PlanAssignment {
  // Rule 1: unstamped rows join the current plan's rows.
  const merged = new Map<string, { planId: string; rows: UsageRow[]; lastCallAt: number }>();
  for (const group of usage) {
    const planId = group.planId || currentPlanId || '';
    const into = merged.get(planId) ?? { planId, rows: [], lastCallAt: -Infinity };
    into.rows.push(...group.rows);
    into.lastCallAt = Math.max(into.lastCallAt, group.lastCallAt);
    merged.set(planId, into);
  }
  const known = [...merged.values()].filter((g) => catalog.plans.has(g.planId));
  const unpriced: UnpricedUsage[] = [...merged.values()].filter((g) => !catalog.plans.has(g.planId)).map((g) => ({ planId: g.planId, reason: 'unknown_plan', rows: g.rows }));

  const baseFeePlan = currentPlanId === undefined ? catalog.plans.get(latestGroup(known)?.planId ?? '') : catalog.plans.get(currentPlanId);
  const invoicePlan = baseFeePlan ?? catalog.plans.get(latestGroup(known)?.planId ?? '');
  const groups: PlanGroup[] = [];
  for (const group of known.sort(byPlanId)) {
    const plan = catalog.plans.get(group.planId)!;
    if (plan.currency === invoicePlan?.currency) groups.push({ plan, rows: group.rows });
    else unpriced.push({ planId: group.planId, reason: 'other_currency', rows: group.rows });
  }
  if (baseFeePlan && !groups.some((g) => g.plan === baseFeePlan)) {
    groups.push({ plan: baseFeePlan, rows: [] });
    groups.sort((a, b) => byPlanId({ planId: a.plan.id }, { planId: b.plan.id }));
  }
  return { groups, baseFeePlan, invoicePlan, unpriced: unpriced.sort(byPlanId) };
}

/** The group's usage lines (and lost revenue), without a base fee: rule 3 charges that once. */
function priceGroup(group: PlanGroup, several: boolean): { lines: InvoiceLine[]; lostRevenueMinor: bigint } {
  const draft = priceInvoice(group.plan, group.rows);
  const lines: InvoiceLine[] = [];
  for (const line of draft.lines) {
    if (line.kind !== 'usage') continue;
    lines.push(several ? { ...line, planId: group.plan.id, description: `${line.description} (${group.plan.name})` } : line);
  }
  return { lines, lostRevenueMinor: draft.lostRevenueMinor };
}

/** The period's invoice under the assignment; undefined when nothing is priceable. */
export function priceAssignment(assignment: PlanAssignment): InvoiceDraft | undefined {
  const { groups, baseFeePlan, invoicePlan } = assignment;
  if (invoicePlan === undefined || groups.length === 0) return undefined;
  const lines: InvoiceLine[] = [];
  if (baseFeePlan?.baseFee !== undefined && baseFeePlan.baseFee > 0n) {
    lines.push({ kind: 'base_fee', description: `${baseFeePlan.name} base fee`, amountMinor: baseFeePlan.baseFee });
  }
  let lostRevenueMinor = 0n;
  for (const group of groups) {
    const priced = priceGroup(group, groups.length > 1);
    lines.push(...priced.lines);
    lostRevenueMinor += priced.lostRevenueMinor;
  }
  const totalMinor = lines.reduce((sum, line) => sum + line.amountMinor, 0n);
  return { planId: invoicePlan.id, currency: invoicePlan.currency, lines, totalMinor, lostRevenueMinor };
}

export interface AssignmentTotals {
  readonly totalMinor: bigint;
  readonly baseFeeMinor: bigint;
  readonly lostRevenueMinor: bigint;
}

/**
 * priceAssignment's totals without its lines, for dashboards that price thousands of invoices: a
 * group whose meters stay within their included units adds nothing, so it is not priced.
 */
export function assignmentTotals(assignment: PlanAssignment): AssignmentTotals | undefined {
  if (assignment.invoicePlan === undefined || assignment.groups.length === 0) return undefined;
  const baseFeeMinor = assignment.baseFeePlan?.baseFee ?? 0n;
  let totalMinor = baseFeeMinor;
  let lostRevenueMinor = 0n;
  for (const group of assignment.groups) {
    if (withinIncludedUnits(group.plan, group.rows)) continue;
    const draft = priceInvoice(group.plan, group.rows);
    totalMinor += draft.totalMinor - (group.plan.baseFee ?? 0n);
    lostRevenueMinor += draft.lostRevenueMinor;
  }
  return { totalMinor, baseFeeMinor, lostRevenueMinor };
}
