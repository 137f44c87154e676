// Exact money arithmetic. Prices are written as decimal strings ("0.002") in major units, kept as
// scaled bigints, multiplied exactly, and rounded to the currency's minor unit exactly once per
// invoice line. No value ever passes through a binary float.
import { chargeDecimals, currencyDecimals } from './currency.ts';

/** A non-negative exact decimal: value = coefficient / 10^scale (normalised: no trailing zeros). */
export interface Decimal {
  readonly coefficient: bigint;
  readonly scale: number;
}

/** More fractional digits than this is a typo, not a price (1e-12 EUR per byte is already absurd). */
export const MAX_DECIMAL_SCALE = 12;

const DECIMAL_TEXT = /^(\d+)(?:\.(\d+))?$/;

export const ZERO: Decimal = { coefficient: 0n, scale: 0 };

function normalise(coefficient: bigint, scale: number): Decimal {
  while (scale > 0 && coefficient % 10n === 0n) {
    coefficient /= 10n;
    scale -= 1;
  }
  return { coefficient, scale };
}

/** Parses "19", "19.00", "0.002". Rejects signs, exponents, separators and more than 12 decimals. */
export function parseDecimal(text: string): Decimal {
  const match = DECIMAL_TEXT.exec(text);
  if (!match) throw new RangeError(`${JSON.stringify(text)} is not a non-negative decimal like "0.002"`);
  const fraction = match[2] ?? '';
  if (fraction.length > MAX_DECIMAL_SCALE) {
    throw new RangeError(`${JSON.stringify(text)} has more than ${MAX_DECIMAL_SCALE} decimal places`);
  }
  return normalise(BigInt(`${match[1]}${fraction}`), fraction.length);
}

export function decimalToString(value: Decimal): string {
  if (value.scale === 0) return value.coefficient.toString();
  const digits = value.coefficient.toString().padStart(value.scale + 1, '0');
  return `${digits.slice(0, -value.scale)}.${digits.slice(-value.scale)}`;
}

export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const scale = Math.max(a.scale, b.scale);
  return normalise(a.coefficient * 10n ** BigInt(scale - a.scale) + b.coefficient * 10n ** BigInt(scale - b.scale), scale);
}

export function multiplyDecimal(price: Decimal, units: bigint): Decimal {
  return normalise(price.coefficient * units, price.scale);
}

/**
 * A unit count as a bigint. Counts arrive as JS numbers (exact up to 2^53) or as bigints (ClickHouse
 * UInt64); anything fractional, negative or past 2^53 as a number has already lost precision.
 */
export function toUnits(count: number | bigint): bigint {
  if (typeof count === 'bigint') {
    if (count < 0n) throw new RangeError(`unit count must not be negative (got ${count})`);
    return count;
  }
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`unit count must be a non-negative safe integer (got ${count})`);
  }
  return BigInt(count);
}

/**
 * THE rounding rule: round half up (half away from zero; amounts are never negative) to the
 * currency's minor unit. Chosen over banker's rounding because it is what customers and finance
 * teams check invoices against by hand. Callers apply it once per invoice line, to the exact total.
 */
export function roundToMinor(amount: Decimal, currency: string): bigint {
  const decimals = chargeDecimals(currency);
  // KWD and its kind are rounded to 10 minor units (what Stripe charges), once, not twice.
  const scaleUp = 10n ** BigInt(currencyDecimals(currency) - decimals);
  if (amount.scale <= decimals) return amount.coefficient * 10n ** BigInt(decimals - amount.scale) * scaleUp;
  const divisor = 10n ** BigInt(amount.scale - decimals);
  const quotient = amount.coefficient / divisor;
  const remainder = amount.coefficient % divisor;
  return (remainder * 2n >= divisor ? quotient + 1n : quotient) * scaleUp;
}

/** units × unitPrice in minor units, rounded once with {@link roundToMinor}. */
export function amountMinor(units: bigint | number, unitPrice: Decimal, currency: string): bigint {
  return roundToMinor(multiplyDecimal(unitPrice, toUnits(units)), currency);
}

/** The amount in minor units if it can be charged exactly (base fees must be), else null. */
export function exactMinor(amount: Decimal, currency: string): bigint | null {
  const decimals = chargeDecimals(currency);
  return amount.scale <= decimals ? amount.coefficient * 10n ** BigInt(currencyDecimals(currency) - amount.scale) : null;
}

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * "1,234.56 EUR", "1,200 JPY", "1.235 KWD". Deliberately locale-independent (no Intl): the same
 * text in logs, tests and CLI output regardless of the host's ICU data.
 */
export function formatMoney(minor: bigint, currency: string): string {
  const decimals = currencyDecimals(currency);
  const sign = minor < 0n ? '-' : '';
  const digits = (minor < 0n ? -minor : minor).toString().padStart(decimals + 1, '0');
  const whole = groupThousands(digits.slice(0, digits.length - decimals));
  const fraction = decimals > 0 ? `.${digits.slice(-decimals)}` : '';
  return `${sign}${whole}${fraction} ${currency}`;
}

/** A unit price for descriptions: "0.002 EUR". Not rounded — it shows the price as configured. */
export function formatPrice(price: Decimal, currency: string): string {
  const [whole = '0', fraction] = decimalToString(price).split('.');
  const decimals = currencyDecimals(currency);
  // Pad to the currency's usual decimals so "19 EUR" reads "19.00 EUR"; keep extra sub-cent digits.
  const padded = (fraction ?? '').padEnd(decimals, '0');
  return `${groupThousands(whole)}${padded === '' ? '' : `.${padded}`} ${currency}`;
}
