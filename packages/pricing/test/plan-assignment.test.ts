import { describe, expect, it } from 'vitest';
import { assignPlans, assignmentTotals, priceAssignment, type StampedUsage } from '../src/plan-assignment.ts';
import { priceInvoice } from '../src/price.ts';
import type { Plan, PlanCatalog, UsageLine } from '../src/types.ts';
import { meter, perUnit, plan, row } from './fixtures.ts';

// a: 10.00 base, 100 included, 0.10 a call; b: 50.00 base, 1 000 included, 0.05 a call; usd: another currency.
const a = plan([meter(perUnit('0.10'), { includedUnits: 100 })], { id: 'a', name: 'A', baseFee: 1_000n });
const b = plan([meter(perUnit('0.05'), { includedUnits: 1_000 })], { id: 'b', name: 'B', baseFee: 5_000n });
const usd = plan([meter(perUnit('1'))], { id: 'usd', name: 'USD', currency: 'USD', baseFee: 100n });
const catalog: PlanCatalog = { version: 1, plans: new Map<string, Plan>([a, b, usd].map((p) => [p.id, p])) };

const usage = (planId: string, requests: number, lastCallAt: number): StampedUsage => ({ planId, rows: [row('search', requests)], lastCallAt });
const keys = (lines: readonly { kind: string }[]): string[] =>
  lines.map((l) => (l.kind === 'base_fee' ? 'base_fee' : `${(l as UsageLine).planId ?? ''}:${(l as UsageLine).meterId}`));

describe('assignPlans and priceAssignment', () => {
  it('one plan in the period: exactly priceInvoice (line keys unchanged)', () => {
    const stamped = [usage('b', 1_500, 2)];
    const draft = priceAssignment(assignPlans('b', stamped, catalog));
    expect(draft).toEqual(priceInvoice(b, stamped[0]!.rows));
  });

  it('a consumer with no usage pays the current plan base fee, as priceInvoice of no usage', () => {
    expect(priceAssignment(assignPlans('b', [], catalog))).toEqual(priceInvoice(b, []));
  });

  it('mid-period change: each plan prices its own calls, the current plan base fee once', () => {
    const assignment = assignPlans('b', [usage('a', 300, 1), usage('b', 1_500, 2)], catalog);
    expect(assignment.groups.map((g) => g.plan.id)).toEqual(['a', 'b']);
    const draft = priceAssignment(assignment)!;
    // base fee B 50.00 + A: (300 - 100) × 0.10 = 20.00 + B: (1 500 - 1 000) × 0.05 = 25.00
    expect(draft.totalMinor).toBe(5_000n + 2_000n + 2_500n);
    expect(draft.planId).toBe('b');
    expect(keys(draft.lines)).toEqual(['base_fee', 'a:calls', 'b:calls']);
    expect(assignmentTotals(assignment)).toEqual({ totalMinor: draft.totalMinor, baseFeeMinor: 5_000n, lostRevenueMinor: 0n });
  });

  it('the current plan base fee even without calls under it', () => {
    const draft = priceAssignment(assignPlans('b', [usage('a', 300, 1)], catalog))!;
    expect(draft.totalMinor).toBe(5_000n + 2_000n);
    expect(keys(draft.lines)).toEqual(['base_fee', 'a:calls', 'b:calls']);
  });

  it('unstamped rows are priced under the current plan', () => {
    const draft = priceAssignment(assignPlans('a', [usage('', 150, 1), usage('a', 50, 2)], catalog))!;
    expect(draft).toEqual(priceInvoice(a, [row('search', 150), row('search', 50)]));
  });

  it('a consumer not in the registry: base fee of the plan with the latest call, ties to the first plan id', () => {
    expect(assignPlans(undefined, [usage('a', 1, 5), usage('b', 1, 3)], catalog).baseFeePlan?.id).toBe('a');
    expect(assignPlans(undefined, [usage('b', 1, 5), usage('a', 1, 5)], catalog).baseFeePlan?.id).toBe('a');
    // unstamped rows of an unknown consumer have no plan at all
    const assignment = assignPlans(undefined, [usage('', 7, 9)], catalog);
    expect(assignment.unpriced).toEqual([{ planId: '', reason: 'unknown_plan', rows: [row('search', 7)] }]);
    expect(priceAssignment(assignment)).toBeUndefined();
  });

  it('plans not in the file and plans in another currency are unpriced', () => {
    // without a base-fee plan the invoice takes the currency of the plan with the latest call (a)
    const assignment = assignPlans('retired', [usage('retired', 10, 3), usage('a', 300, 2), usage('usd', 5, 1)], catalog);
    expect(assignment.baseFeePlan).toBeUndefined();
    expect(assignment.invoicePlan?.id).toBe('a');
    expect(assignment.unpriced.map((u) => [u.planId, u.reason])).toEqual([
      ['retired', 'unknown_plan'],
      ['usd', 'other_currency'],
    ]);
    // no base fee (the plan in force at the end is unknown), A's usage only, with A's keys
    const draft = priceAssignment(assignment)!;
    expect(draft.totalMinor).toBe(2_000n);
    expect(keys(draft.lines)).toEqual([':calls']);
    expect(priceAssignment(assignPlans('retired', [usage('retired', 10, 1)], catalog))).toBeUndefined();
  });
});
