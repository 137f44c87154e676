// Prices usage with a plan. Each line's exact amount is summed as a Decimal and rounded once
// (money.roundToMinor), so tiers and flat fees never accumulate per-tier rounding error.
import {
  ZERO,
  addDecimal,
  formatPrice,
  multiplyDecimal,
  roundToMinor,
  toUnits,
  type Decimal,
} from './money.ts';
import type {
  Count,
  InvoiceDraft,
  InvoiceLine,
  LineAmount,
  Meter,
  MeterUnit,
  Plan,
  PriceModel,
  Tier,
  UsageLine,
  UsageRow,
} from './types.ts';
import { meterCounts, meterUsage, mergeUsage, unitsOfRow } from './usage.ts';

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

function graduated(tiers: readonly Tier[], units: bigint): Decimal {
  let total = ZERO;
  let floor = 0n; // units already priced by lower tiers
  for (const tier of tiers) {
    if (units <= floor) return total;
    const ceiling = tier.upTo === null ? units : min(units, BigInt(tier.upTo));
    total = addDecimal(total, multiplyDecimal(tier.unitPrice, ceiling - floor));
    if (tier.flatFee) total = addDecimal(total, tier.flatFee);
    if (tier.upTo === null) return total;
    floor = BigInt(tier.upTo);
  }
  if (units > floor) throw new RangeError(`${units} units exceed the last tier (up to ${floor})`);
  return total;
}

function volume(tiers: readonly Tier[], units: bigint): Decimal {
  if (units === 0n) return ZERO;
  const tier = tiers.find((t) => t.upTo === null || units <= BigInt(t.upTo));
  if (!tier) throw new RangeError(`${units} units exceed the last tier`);
  const amount = multiplyDecimal(tier.unitPrice, units);
  return tier.flatFee ? addDecimal(amount, tier.flatFee) : amount;
}

/** The exact, unrounded amount (major units) the model charges for `billableUnits`. */
export function priceModelExact(model: PriceModel, billableUnits: bigint): Decimal {
  switch (model.model) {
    case 'per_unit':
      return multiplyDecimal(model.unitPrice, billableUnits);
    case 'package': {
      const size = BigInt(model.packageSize);
      return multiplyDecimal(model.packagePrice, (billableUnits + size - 1n) / size);
    }
    case 'graduated':
      return graduated(model.tiers, billableUnits);
    case 'volume':
      return volume(model.tiers, billableUnits);
  }
}

const UNIT_NOUN: Record<MeterUnit, string> = {
  requests: 'request',
  request_bytes: 'request byte',
  response_bytes: 'response byte',
  bytes: 'byte',
};

const count = (n: bigint | number): string => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function describeTiers(tiers: readonly Tier[], currency: string): string {
  let from = 1;
  return tiers
    .map((tier) => {
      const range = tier.upTo === null ? `${count(from)}+` : `${count(from)}–${count(tier.upTo)}`;
      const flat = tier.flatFee ? ` + ${formatPrice(tier.flatFee, currency)} flat` : '';
      if (tier.upTo !== null) from = tier.upTo + 1;
      return `${range}: ${formatPrice(tier.unitPrice, currency)}${flat}`;
    })
    .join('; ');
}

/** Human-readable price for invoice lines, e.g. "0.002 EUR per request". */
export function describePrice(model: PriceModel, unit: MeterUnit, currency: string): string {
  const noun = UNIT_NOUN[unit];
  switch (model.model) {
    case 'per_unit':
      return `${formatPrice(model.unitPrice, currency)} per ${noun}`;
    case 'package':
      return `${formatPrice(model.packagePrice, currency)} per ${count(model.packageSize)} ${noun}s (whole packages)`;
    case 'graduated':
      return `graduated per ${noun}: ${describeTiers(model.tiers, currency)}`;
    case 'volume':
      return `volume per ${noun}, all units at the reached tier: ${describeTiers(model.tiers, currency)}`;
  }
}

// Every usage line names its price, and the revenue dashboards price thousands of invoices per
// query: the text depends only on the model (plans are immutable once loaded), unit and currency.
const descriptions = new WeakMap<PriceModel, Map<string, string>>();

function priceDescription(model: PriceModel, unit: MeterUnit, currency: string): string {
  let byUnit = descriptions.get(model);
  if (byUnit === undefined) {
    byUnit = new Map();
    descriptions.set(model, byUnit);
  }
  const key = `${unit} ${currency}`;
  let text = byUnit.get(key);
  if (text === undefined) {
    text = describePrice(model, unit, currency);
    byUnit.set(key, text);
  }
  return text;
}

export interface PriceUsageOptions {
  readonly currency: string;
  /** Prices with this API product's override when the meter has one. */
  readonly apiProduct?: string;
  /** Included units still available to this usage; defaults to all of the meter's. */
  readonly includedUnits?: Count;
}

/** One quantity of one meter: billable = max(0, units − included), then the price model. */
export function priceUsage(meter: Meter, units: Count, options: PriceUsageOptions): LineAmount {
  const { currency, apiProduct } = options;
  const overrides = meter.apiOverrides;
  // hasOwn: an API named "constructor" must not find Object.prototype's.
  const model = apiProduct !== undefined && overrides && Object.hasOwn(overrides, apiProduct) ? overrides[apiProduct]! : meter.price;
  const total = toUnits(units);
  const included = min(total, toUnits(options.includedUnits ?? meter.includedUnits));
  const billableUnits = total - included;
  return {
    units: total,
    includedUnits: included,
    billableUnits,
    amountMinor: roundToMinor(priceModelExact(model, billableUnits), currency),
    unitPriceDescription: priceDescription(model, meter.unit, currency),
  };
}

/**
 * All lines of one meter. Usage of APIs without an override is summed into one default line
 * (always present, even at zero); each overridden API with usage gets its own line.
 *
 * Included units are one allowance per meter, consumed in a fixed order: default-priced usage
 * first, then overridden APIs in code-point order of their id. So "10 000 calls included" holds
 * for any calls, and the included allowance is spent on standard calls before premium ones — no
 * fractional units as a proportional split would produce, and the result never depends on row order.
 */
export function priceMeter(meter: Meter, unitsByApi: ReadonlyMap<string, Count>, currency: string): UsageLine[] {
  const overrides = meter.apiOverrides ?? {};
  let defaultUnits = 0n;
  const overridden: [string, bigint][] = [];
  for (const [api, units] of unitsByApi) {
    if (Object.hasOwn(overrides, api)) overridden.push([api, toUnits(units)]);
    else defaultUnits += toUnits(units);
  }
  overridden.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

  let includedLeft = toUnits(meter.includedUnits);
  const lines: UsageLine[] = [];
  const defaultAmount = priceUsage(meter, defaultUnits, { currency, includedUnits: includedLeft });
  includedLeft -= defaultAmount.includedUnits;
  lines.push({ kind: 'usage', meterId: meter.id, description: meter.description, ...defaultAmount });
  for (const [api, units] of overridden) {
    if (units === 0n) continue;
    const amount = priceUsage(meter, units, { currency, apiProduct: api, includedUnits: includedLeft });
    includedLeft -= amount.includedUnits;
    lines.push({ kind: 'usage', meterId: meter.id, description: `${meter.description} (${api})`, api, ...amount });
  }
  return lines;
}

const sumAmounts = (lines: readonly { amountMinor: bigint }[]): bigint => lines.reduce((sum, l) => sum + l.amountMinor, 0n);

/**
 * The invoice for one customer's period usage. Lost revenue per meter is the difference between
 * pricing the usage with and without the non-billable calls (so included units and tiers are
 * honoured); it is floored at zero because under volume pricing extra calls can lower a total.
 */
export function priceInvoice(plan: Plan, usage: readonly UsageRow[]): InvoiceDraft {
  const lines: InvoiceLine[] = [];
  if (plan.baseFee !== undefined && plan.baseFee > 0n) {
    lines.push({ kind: 'base_fee', description: `${plan.name} base fee`, amountMinor: plan.baseFee });
  }
  let lostRevenueMinor = 0n;
  for (const meter of plan.meters) {
    const { billable, nonBillable } = meterUsage(plan, meter, usage);
    const meterLines = priceMeter(meter, billable, plan.currency);
    lines.push(...meterLines);
    if (nonBillable.size > 0) {
      const ifBillable = sumAmounts(priceMeter(meter, mergeUsage(billable, nonBillable), plan.currency));
      const lost = ifBillable - sumAmounts(meterLines);
      if (lost > 0n) lostRevenueMinor += lost;
    }
  }
  return { planId: plan.id, currency: plan.currency, lines, totalMinor: sumAmounts(lines), lostRevenueMinor };
}


/**
 * True when no meter counts more units than it includes: every usage line is then zero whatever
 * the price model (no model charges for zero billable units), and so is the lost revenue — the
 * invoice is the base fee, which is much cheaper to know than pricing the usage.
 */
export function withinIncludedUnits(plan: Plan, rows: readonly UsageRow[]): boolean {
  return plan.meters.every((meter) => {
    let units = 0n;
    for (const row of rows) if (meterCounts(meter, row)) units += unitsOfRow(row, meter.unit);
    return units <= BigInt(meter.includedUnits);
  });
}
