// Revenue over windows that cut a month is additive (marginal-revenue.ts): for random instants
// a < b < c, within and across month boundaries, revenue(a, b) + revenue(b, c) = revenue(a, c) to
// the minor unit — totals, base fees, lost revenue, calls, and every API's part — for every price
// model, included units, API overrides, base fees and several plans per month; and a window from a
// month's start is the invoice a billing run would make for that usage (priceAssignment).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { monthToDate, revenueChange, type RevenueChange } from '../src/marginal-revenue.ts';
import { assignPlans, priceAssignment, type StampedUsage } from '../src/plan-assignment.ts';
import type { Meter, Plan, PlanCatalog, PriceModel, StatusClass, Tier, UsageRow } from '../src/types.ts';
import { d, meter, perUnit, plan, row, tier } from './fixtures.ts';

/** One batch of calls at one instant. */
interface Event {
  at: number;
  planId: string;
  row: UsageRow;
}

const JAN = Date.UTC(2025, 0, 1);
const APR = Date.UTC(2025, 3, 1);
const MONTH_STARTS = [JAN, Date.UTC(2025, 1, 1), Date.UTC(2025, 2, 1), APR];
const monthStart = (t: number): number => MONTH_STARTS.filter((m) => m <= t).at(-1)!;
const nextMonth = (t: number): number => MONTH_STARTS.find((m) => m > t)!;

/** The usage from the start of `t`'s month up to `t` (exclusive), grouped per stamped plan. */
function usageUpTo(events: readonly Event[], monthFrom: number, t: number): StampedUsage[] {
  const groups = new Map<string, { planId: string; rows: UsageRow[]; lastCallAt: number }>();
  for (const e of events) {
    if (e.at < monthFrom || e.at >= t) continue;
    const group = groups.get(e.planId) ?? { planId: e.planId, rows: [], lastCallAt: -Infinity };
    group.rows.push(e.row);
    group.lastCallAt = Math.max(group.lastCallAt, e.at);
    groups.set(e.planId, group);
  }
  return [...groups.values()];
}

type Totals = Map<string, { total: bigint; base: bigint; lost: bigint; calls: bigint; apis: Map<string, bigint>; lostApis: Map<string, bigint> }>;

/** The window's revenue per currency: the sum over the months it touches of F(end) − F(start). */
function revenue(events: readonly Event[], currentPlanId: string | undefined, catalog: PlanCatalog, a: number, b: number): Totals {
  const changes: RevenueChange[] = [];
  for (let m = monthStart(a); m < b; m = nextMonth(m)) {
    const start = monthToDate(currentPlanId, usageUpTo(events, m, Math.max(a, m)), catalog, true).priced;
    const end = monthToDate(currentPlanId, usageUpTo(events, m, Math.min(b, nextMonth(m))), catalog, true).priced;
    changes.push(...revenueChange(start, end));
  }
  return sum(changes);
}

function addInto(into: Map<string, bigint>, from: ReadonlyMap<string, bigint>): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0n) + v);
}

function sum(changes: readonly RevenueChange[]): Totals {
  const totals: Totals = new Map();
  for (const c of changes) {
    const t = totals.get(c.currency) ?? { total: 0n, base: 0n, lost: 0n, calls: 0n, apis: new Map(), lostApis: new Map() };
    t.total += c.totalMinor;
    t.base += c.baseFeeMinor;
    t.lost += c.lostRevenueMinor;
    t.calls += c.calls;
    addInto(t.apis, c.revenueByApi);
    addInto(t.lostApis, c.lostByApi);
    totals.set(c.currency, t);
  }
  return totals;
}

function merge(x: Totals, y: Totals): Totals {
  const out: Totals = new Map();
  for (const source of [x, y]) {
    for (const [currency, t] of source) {
      const o = out.get(currency) ?? { total: 0n, base: 0n, lost: 0n, calls: 0n, apis: new Map(), lostApis: new Map() };
      o.total += t.total;
      o.base += t.base;
      o.lost += t.lost;
      o.calls += t.calls;
      addInto(o.apis, t.apis);
      addInto(o.lostApis, t.lostApis);
      out.set(currency, o);
    }
  }
  return out;
}

/** Comparable form: zero amounts dropped, keys sorted. */
function normal(totals: Totals): unknown {
  const nonZero = (m: ReadonlyMap<string, bigint>): [string, string][] =>
    [...m].filter(([, v]) => v !== 0n).map(([k, v]): [string, string] => [k, v.toString()]).sort(([a], [b]) => (a < b ? -1 : 1));
  return [...totals]
    .map(([currency, t]) => [currency, t.total.toString(), t.base.toString(), t.lost.toString(), t.calls.toString(), nonZero(t.apis), nonZero(t.lostApis)])
    .filter(([, total, base, lost, calls, apis, lostApis]) => total !== '0' || base !== '0' || lost !== '0' || calls !== '0' || (apis as []).length > 0 || (lostApis as []).length > 0)
    .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1));
}

// Plans: every price model, flat fees, included units, overrides, base fees, billable statuses.
const price = fc.constantFrom('0', '0.001', '0.01', '0.02', '0.5', '1.25', '3');
const tiers: fc.Arbitrary<Tier[]> = fc
  .tuple(fc.uniqueArray(fc.integer({ min: 1, max: 400 }), { minLength: 0, maxLength: 3 }), fc.array(fc.tuple(price, fc.option(fc.constantFrom('0.5', '2', '10'), { nil: undefined })), { minLength: 4, maxLength: 4 }))
  .map(([bounds, prices]) => {
    const ups = [...bounds].sort((x, y) => x - y);
    return [...ups, null].map((upTo, i) => tier(upTo, prices[i]![0], prices[i]![1]));
  });
const model: fc.Arbitrary<PriceModel> = fc.oneof(
  price.map(perUnit),
  fc.tuple(fc.integer({ min: 1, max: 150 }), fc.constantFrom('1.50', '0.07', '4')).map(([packageSize, p]): PriceModel => ({ model: 'package', packageSize, packagePrice: d(p) })),
  tiers.map((t): PriceModel => ({ model: 'graduated', tiers: t })),
  tiers.map((t): PriceModel => ({ model: 'volume', tiers: t })),
);
const APIS = ['search', 'geo', 'pay'] as const;
const meterArb = (id: string): fc.Arbitrary<Meter> =>
  fc
    .record({
      unit: fc.constantFrom('requests', 'request_bytes', 'bytes'),
      includedUnits: fc.constantFrom(0, 0, 10, 120, 1000),
      price: model,
      overrides: fc.dictionary(fc.constantFrom(...APIS), model, { maxKeys: 2 }),
      apis: fc.option(fc.subarray([...APIS], { minLength: 1 }), { nil: undefined }),
      methods: fc.option(fc.constant(['GET']), { nil: undefined }),
    })
    .map(({ unit, includedUnits, price: p, overrides, apis, methods }) =>
      meter(p, { id, unit, includedUnits, ...(Object.keys(overrides).length > 0 ? { apiOverrides: overrides } : {}), filter: { ...(apis ? { apis } : {}), ...(methods ? { methods } : {}) } }),
    );
const planArb = (id: string, currency: string): fc.Arbitrary<Plan> =>
  fc
    .record({
      meters: fc.tuple(meterArb('calls'), fc.option(meterArb('traffic'), { nil: undefined })),
      baseFee: fc.constantFrom(undefined, 0n, 1900n, 49_900n),
      fiveXxBillable: fc.boolean(),
    })
    .map(({ meters, baseFee, fiveXxBillable }) =>
      plan(meters.filter((m): m is Meter => m !== undefined), {
        id,
        name: id,
        currency,
        ...(baseFee === undefined ? {} : { baseFee }),
        billableStatuses: new Set<StatusClass>(fiveXxBillable ? ['2xx', '4xx', '5xx'] : ['2xx', '4xx']),
      }),
    );
const catalogArb: fc.Arbitrary<PlanCatalog> = fc
  .tuple(planArb('alpha', 'EUR'), planArb('beta', 'EUR'), planArb('gamma', 'USD'))
  .map((plans) => ({ version: 1, plans: new Map(plans.map((p) => [p.id, p])) }));

const instant = fc.oneof(fc.integer({ min: JAN, max: APR - 1 }), fc.constantFrom(...MONTH_STARTS.slice(0, 3)), fc.constantFrom(...MONTH_STARTS.slice(1, 3).map((m) => m - 1)));
const eventArb: fc.Arbitrary<Event> = fc
  .record({
    at: instant,
    planId: fc.constantFrom('alpha', 'alpha', 'beta', 'gamma', '', 'retired'),
    api: fc.constantFrom(...APIS),
    method: fc.constantFrom('GET', 'POST'),
    status: fc.constantFrom('2xx', '2xx', '4xx', '5xx'),
    requests: fc.integer({ min: 1, max: 300 }),
    bytes: fc.integer({ min: 0, max: 5000 }),
  })
  .map(({ at, planId, api, method, status, requests, bytes }) => ({ at, planId, row: row(api, requests, status, { method, requestBytes: bytes, responseBytes: 2 * bytes }) }));
const scenario = fc.record({
  catalog: catalogArb,
  current: fc.constantFrom<string | undefined>('alpha', 'alpha', 'beta', 'gamma', undefined),
  events: fc.array(eventArb, { maxLength: 40 }),
  cuts: fc.uniqueArray(instant, { minLength: 3, maxLength: 3 }).map((xs) => [...xs].sort((x, y) => x - y) as [number, number, number]),
});

describe('marginal revenue', () => {
  it('adds up: revenue(a, b) + revenue(b, c) = revenue(a, c), per currency and per API', () => {
    fc.assert(
      fc.property(scenario, ({ catalog, current, events, cuts: [a, b, c] }) => {
        const parts = merge(revenue(events, current, catalog, a, b), revenue(events, current, catalog, b, c));
        expect(normal(parts)).toEqual(normal(revenue(events, current, catalog, a, c)));
      }),
      { numRuns: 400 },
    );
  });

  it("a window from a month's start is the month's invoice so far, and the API parts add up to its usage revenue", () => {
    fc.assert(
      fc.property(scenario, ({ catalog, current, events, cuts: [, b] }) => {
        const m = monthStart(b);
        const usage = usageUpTo(events, m, b);
        const draft = usage.length > 0 ? priceAssignment(assignPlans(current, usage, catalog)) : undefined;
        const got = revenue(events, current, catalog, m, b);
        if (draft === undefined) {
          expect(normal(got)).toEqual([]);
          return;
        }
        const t = got.get(draft.currency)!;
        expect([t.total, t.lost]).toEqual([draft.totalMinor, draft.lostRevenueMinor]);
        expect([...t.apis.values()].reduce((x, y) => x + y, 0n)).toBe(t.total - t.base);
        expect([...t.lostApis.values()].reduce((x, y) => x + y, 0n)).toBe(t.lost);
      }),
      { numRuns: 300 },
    );
  });

  it('shows a negative part where more usage lowers a volume-priced invoice', () => {
    const volume: PriceModel = { model: 'volume', tiers: [tier(100, '0.10'), tier(null, '0.01')] };
    const catalog: PlanCatalog = { version: 1, plans: new Map([['v', plan([meter(volume)], { id: 'v', baseFee: 500n })]]) };
    const at = (day: number): number => JAN + day * 86_400_000;
    const events: Event[] = [
      { at: at(1), planId: 'v', row: row('search', 90) },
      { at: at(10), planId: 'v', row: row('search', 20) },
    ];
    // 90 calls at 0.10 = 9.00 (+ 5.00 base fee); 110 calls at 0.01 = 1.10: the second window is −7.90.
    expect(revenue(events, 'v', catalog, at(0), at(5)).get('EUR')).toMatchObject({ total: 1400n, base: 500n, apis: new Map([['search', 900n]]) });
    expect(revenue(events, 'v', catalog, at(5), at(20)).get('EUR')).toMatchObject({ total: -790n, base: 0n, apis: new Map([['search', -790n]]) });
    expect(revenue(events, 'v', catalog, at(0), at(20)).get('EUR')).toMatchObject({ total: 610n, base: 500n });
  });

  it('counts the base fee in the window holding the first call of the month', () => {
    const catalog: PlanCatalog = { version: 1, plans: new Map([['p', plan([meter(perUnit('0.01'), { includedUnits: 100 })], { id: 'p', baseFee: 1900n })]]) };
    const at = (day: number): number => JAN + day * 86_400_000;
    const events: Event[] = [{ at: at(3), planId: 'p', row: row('search', 150) }];
    expect(normal(revenue(events, 'p', catalog, at(0), at(2)))).toEqual([]);
    expect(revenue(events, 'p', catalog, at(2), at(4)).get('EUR')).toMatchObject({ total: 1950n, base: 1900n, calls: 150n });
    expect(normal(revenue(events, 'p', catalog, at(4), at(40)))).toEqual([]);
  });
});
