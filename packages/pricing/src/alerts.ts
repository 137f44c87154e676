// Usage alerts of a plan (plans file `alerts:`) and the exact value each fires at. A threshold is
// an integer in the unit the alert measures — billable requests (quota), a meter's units
// (included_units) or minor units of the plan's currency (spend) — so "reached" is an exact
// integer comparison, never a float percentage.
import { currencyDecimals } from './currency.ts';
import type { Decimal } from './money.ts';
import type { Plan, UsageAlert, UsageAlertKind } from './types.ts';

export const USAGE_ALERT_KINDS: readonly UsageAlertKind[] = ['quota', 'included_units', 'spend'];

/** ⌈percent × base / 100⌉: the smallest whole count at or past the percentage. */
export function percentOf(percent: Decimal, base: bigint): bigint {
  const numerator = percent.coefficient * base;
  const denominator = 100n * 10n ** BigInt(percent.scale);
  return (numerator + denominator - 1n) / denominator;
}

/**
 * The value `alert` fires at under `plan`, or null when the plan no longer has what it measures
 * (a quota or meter removed since the file was validated cannot happen, but callers need not care).
 */
export function alertThreshold(plan: Plan, alert: UsageAlert): bigint | null {
  switch (alert.of) {
    case 'quota':
      return plan.quota ? percentOf(alert.percent, BigInt(plan.quota.limit)) : null;
    case 'included_units': {
      const meter = plan.meters.find((m) => m.id === alert.meterId);
      return meter && meter.includedUnits > 0 ? percentOf(alert.percent, BigInt(meter.includedUnits)) : null;
    }
    case 'spend':
      return alert.amountMinor;
  }
}

/** Minor units as major-unit text with the currency's decimals, no grouping: 50000n EUR → "500.00". */
export function minorToMajorText(minor: bigint, currency: string): string {
  const decimals = currencyDecimals(currency);
  const digits = minor.toString().padStart(decimals + 1, '0');
  return decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
}
