import { describe, expect, it } from 'vitest';
import { currencyDecimals, isKnownCurrency } from '../src/currency.ts';
import {
  addDecimal,
  amountMinor,
  decimalToString,
  exactMinor,
  formatMoney,
  formatPrice,
  parseDecimal,
  roundToMinor,
  toUnits,
} from '../src/money.ts';
import { d } from './fixtures.ts';

describe('parseDecimal', () => {
  it('keeps the exact digits as a scaled bigint, normalised', () => {
    expect(parseDecimal('0.002')).toEqual({ coefficient: 2n, scale: 3 });
    expect(parseDecimal('19.00')).toEqual({ coefficient: 19n, scale: 0 });
    expect(parseDecimal('0')).toEqual({ coefficient: 0n, scale: 0 });
    expect(parseDecimal('0.000000000001')).toEqual({ coefficient: 1n, scale: 12 });
  });

  it.each(['', '-1', '+1', '1e-3', '.5', '5.', '1,000', ' 1', '0x10', '1.0000000000001'])('rejects %j', (text) => {
    expect(() => parseDecimal(text)).toThrow(RangeError);
  });

  it('prints back what it parsed', () => {
    for (const text of ['0.002', '19', '1234.5', '0.000000000001']) expect(decimalToString(d(text))).toBe(text);
  });

  it('adds exactly where binary floats do not', () => {
    expect(decimalToString(addDecimal(d('0.1'), d('0.2')))).toBe('0.3');
  });
});

describe('currencies', () => {
  it('knows zero-, two- and three-decimal currencies the way Stripe counts them', () => {
    for (const c of ['JPY', 'KRW', 'VND', 'CLP', 'XOF', 'UGX', 'MGA']) expect(currencyDecimals(c)).toBe(0);
    for (const c of ['EUR', 'USD', 'GBP', 'ISK', 'HUF', 'TWD']) expect(currencyDecimals(c)).toBe(2);
    for (const c of ['KWD', 'BHD', 'JOD', 'OMR', 'TND']) expect(currencyDecimals(c)).toBe(3);
  });

  it('refuses unknown codes rather than guessing two decimals', () => {
    expect(isKnownCurrency('XYZ')).toBe(false);
    expect(isKnownCurrency('eur')).toBe(false);
    expect(() => currencyDecimals('XYZ')).toThrow(/unknown currency/);
  });
});

describe('roundToMinor: half up, once', () => {
  it.each([
    ['0.004', 0n],
    ['0.005', 1n], // exactly half: up
    ['0.0049999', 0n],
    ['0.0050001', 1n],
    ['0.015', 2n], // half-even would give 2 as well; next case tells them apart
    ['0.025', 3n], // half-even would give 2
    ['1.995', 200n],
    ['19', 1900n],
  ])('%s EUR -> %s cents', (amount, minor) => {
    expect(roundToMinor(d(amount), 'EUR')).toBe(minor);
  });

  it('rounds to whole yen and to fils', () => {
    expect(roundToMinor(d('0.5'), 'JPY')).toBe(1n);
    expect(roundToMinor(d('0.49'), 'JPY')).toBe(0n);
    expect(roundToMinor(d('2.5'), 'JPY')).toBe(3n);
    // Stripe charges KWD only in whole 10 fils: the step is 10 minor units, rounded half up once.
    expect(roundToMinor(d('1.2345'), 'KWD')).toBe(1230n);
    expect(roundToMinor(d('1.235'), 'KWD')).toBe(1240n);
    expect(roundToMinor(d('1.2349'), 'KWD')).toBe(1230n);
    // IQD is three-decimal too, but not one of Stripe's: it keeps the fils.
    expect(roundToMinor(d('1.2345'), 'IQD')).toBe(1235n);
  });
});

describe('amountMinor', () => {
  it('prices sub-cent unit prices exactly before rounding', () => {
    expect(amountMinor(1, d('0.002'), 'EUR')).toBe(0n); // 0.2 cent
    expect(amountMinor(2, d('0.0025'), 'EUR')).toBe(1n); // 0.5 cent: half up
    expect(amountMinor(3, d('0.0015'), 'EUR')).toBe(0n); // 0.45 cent
    expect(amountMinor(1_234, d('0.002'), 'EUR')).toBe(247n); // 2.468 EUR
    expect(amountMinor(3, d('0.1'), 'EUR')).toBe(30n); // 0.1 * 3 is 0.30000000000000004 in floats
  });

  it('handles zero- and three-decimal currencies', () => {
    expect(amountMinor(1_000, d('0.3'), 'JPY')).toBe(300n);
    expect(amountMinor(5, d('0.3'), 'JPY')).toBe(2n); // 1.5 yen: half up
    expect(amountMinor(1_001, d('0.0005'), 'KWD')).toBe(500n); // 0.5005 KWD -> 0.50 (whole 10 fils) -> 500
    expect(amountMinor(1_010, d('0.0005'), 'KWD')).toBe(510n); // 0.505 KWD -> 0.51 -> 510
  });

  it('stays exact for 1e12 units and beyond 2^53', () => {
    expect(amountMinor(1e12, d('0.002'), 'EUR')).toBe(200_000_000_000n);
    expect(amountMinor(1e12 + 1, d('0.000000000001'), 'EUR')).toBe(100n); // 1.000000000001 EUR
    const huge = 2n ** 64n - 1n; // a full ClickHouse UInt64
    expect(amountMinor(huge, d('0.000000000001'), 'USD')).toBe(1_844_674_407n); // 18 446 744.073709551615 USD
  });

  it('refuses counts that have already lost precision', () => {
    expect(() => amountMinor(2 ** 53, d('1'), 'EUR')).toThrow(RangeError);
    expect(() => amountMinor(1.5, d('1'), 'EUR')).toThrow(RangeError);
    expect(() => amountMinor(-1, d('1'), 'EUR')).toThrow(RangeError);
    expect(toUnits(2n ** 60n)).toBe(2n ** 60n);
  });
});

describe('exactMinor', () => {
  it('accepts only amounts payable in the minor unit', () => {
    expect(exactMinor(d('19.00'), 'EUR')).toBe(1900n);
    expect(exactMinor(d('19.001'), 'EUR')).toBeNull();
    expect(exactMinor(d('2900'), 'JPY')).toBe(2900n);
    expect(exactMinor(d('0.5'), 'JPY')).toBeNull();
    expect(exactMinor(d('1.23'), 'KWD')).toBe(1230n);
    expect(exactMinor(d('1.234'), 'KWD')).toBeNull(); // Stripe cannot charge the last fils
  });
});

describe('formatMoney / formatPrice', () => {
  it('formats with the currency exponent, locale-independently', () => {
    expect(formatMoney(1900n, 'EUR')).toBe('19.00 EUR');
    expect(formatMoney(5n, 'EUR')).toBe('0.05 EUR');
    expect(formatMoney(0n, 'USD')).toBe('0.00 USD');
    expect(formatMoney(123_456_789n, 'USD')).toBe('1,234,567.89 USD');
    expect(formatMoney(1200n, 'JPY')).toBe('1,200 JPY');
    expect(formatMoney(1235n, 'KWD')).toBe('1.235 KWD');
    expect(formatMoney(-150n, 'EUR')).toBe('-1.50 EUR');
  });

  it('shows configured prices unrounded', () => {
    expect(formatPrice(d('0.002'), 'EUR')).toBe('0.002 EUR');
    expect(formatPrice(d('19'), 'EUR')).toBe('19.00 EUR');
    expect(formatPrice(d('0.3'), 'JPY')).toBe('0.3 JPY');
    expect(formatPrice(d('1000'), 'JPY')).toBe('1,000 JPY');
  });
});
