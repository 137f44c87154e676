import { describe, expect, it } from 'vitest';
import { decimalToString } from '../src/money.ts';
import { priceInvoice, priceMeter, priceModelExact, priceUsage } from '../src/price.ts';
import type { PriceModel, UsageLine } from '../src/types.ts';
import { d, meter, perUnit, plan, row, tier } from './fixtures.ts';

const exact = (model: PriceModel, units: bigint): string => decimalToString(priceModelExact(model, units));
const eur = (model: PriceModel, units: number, includedUnits = 0): bigint =>
  priceUsage(meter(model, { includedUnits }), units, { currency: 'EUR' }).amountMinor;

describe('per_unit', () => {
  it('multiplies exactly', () => {
    expect(exact(perUnit('0.002'), 1234n)).toBe('2.468');
    expect(eur(perUnit('0.002'), 1234)).toBe(247n);
    expect(eur(perUnit('0.002'), 0)).toBe(0n);
  });
});

describe('package: whole packages, rounded up', () => {
  const model: PriceModel = { model: 'package', packageSize: 1000, packagePrice: d('1.50') };
  it.each([
    [0, 0n],
    [1, 150n],
    [999, 150n],
    [1000, 150n],
    [1001, 300n],
    [2000, 300n],
  ])('%i units -> %i cents', (units, cents) => {
    expect(eur(model, units)).toBe(cents);
  });

  it('counts packages after included units', () => {
    expect(eur(model, 1500, 500)).toBe(150n);
    expect(eur(model, 1501, 500)).toBe(300n);
  });
});

describe('graduated: each tier at its own price', () => {
  const model: PriceModel = {
    model: 'graduated',
    tiers: [tier(1000, '0.01'), tier(10_000, '0.005', '2.00'), tier(null, '0.001')],
  };
  it.each([
    [0n, '0'],
    [1n, '0.01'],
    [999n, '9.99'],
    [1000n, '10'], // exactly at up_to: second tier not reached, no flat fee
    [1001n, '12.005'], // one above: 10 + 0.005 + flat 2
    [9999n, '56.995'],
    [10_000n, '57'], // 10 + 9000 × 0.005 + 2
    [10_001n, '57.001'],
    [1_000_000_000_000n, '1000000047'], // 57 + (1e12 − 10 000) × 0.001, exact
    [1_000_000_000_003n, '1000000047.003'],
  ])('%s units -> %s EUR', (units, amount) => {
    expect(exact(model, units)).toBe(amount);
  });

  it('rounds the line once, not per tier', () => {
    // Tier 1: 3 × 0.0015 = 0.0045, tier 2: 1 × 0.0005 = 0.0005. Per-tier rounding would give 0 + 0;
    // the line is 0.005 EUR, which rounds half up to 1 cent.
    const subCent: PriceModel = { model: 'graduated', tiers: [tier(3, '0.0015'), tier(null, '0.0005')] };
    expect(eur(subCent, 4)).toBe(1n);
  });

  it('fails loudly when usage runs past a bounded last tier (only constructible in code)', () => {
    expect(() => priceModelExact({ model: 'graduated', tiers: [tier(10, '1')] }, 11n)).toThrow(/exceed/);
  });
});

describe('volume: all units at the tier the total falls in', () => {
  const model: PriceModel = {
    model: 'volume',
    tiers: [tier(1000, '0.01'), tier(10_000, '0.005', '3'), tier(null, '0.001')],
  };
  it.each([
    [0n, '0'],
    [1n, '0.01'],
    [999n, '9.99'],
    [1000n, '10'],
    [1001n, '8.005'], // 1001 × 0.005 + flat 3
    [9999n, '52.995'],
    [10_000n, '53'],
    [10_001n, '10.001'],
    [1_000_000_000_000n, '1000000000'],
  ])('%s units -> %s EUR', (units, amount) => {
    expect(exact(model, units)).toBe(amount);
  });
});

describe('included units', () => {
  const m = meter(perUnit('0.002'), { includedUnits: 10_000 });
  it.each([
    [0, 0n, 0n, 0n],
    [9_999, 9_999n, 0n, 0n],
    [10_000, 10_000n, 0n, 0n],
    [10_001, 10_000n, 1n, 0n], // 0.2 cent rounds to 0
    [12_500, 10_000n, 2_500n, 500n],
  ])('%i units: %s included, %s billable, %s cents', (units, included, billable, cents) => {
    const line = priceUsage(m, units, { currency: 'EUR' });
    expect([line.includedUnits, line.billableUnits, line.amountMinor]).toEqual([included, billable, cents]);
    expect(line.units).toBe(BigInt(units));
  });

  it('tiers count billable units, i.e. start after the included units', () => {
    const g = meter({ model: 'graduated', tiers: [tier(100, '1'), tier(null, '2')] }, { includedUnits: 50 });
    expect(priceUsage(g, 150, { currency: 'EUR' }).amountMinor).toBe(100_00n); // 100 billable, all tier 1
    expect(priceUsage(g, 151, { currency: 'EUR' }).amountMinor).toBe(102_00n);
  });
});

describe('currencies', () => {
  it('prices JPY in whole yen and KWD in whole 10 fils (what Stripe charges)', () => {
    const m = meter(perUnit('0.3'));
    expect(priceUsage(m, 1001, { currency: 'JPY' }).amountMinor).toBe(300n); // 300.3 yen
    expect(priceUsage(m, 1005, { currency: 'JPY' }).amountMinor).toBe(302n); // 301.5 yen: half up
    const k = meter(perUnit('0.0005'));
    expect(priceUsage(k, 1001, { currency: 'KWD' }).amountMinor).toBe(500n); // 0.5005 KWD -> 0.50
    expect(priceUsage(k, 1001, { currency: 'KWD' }).unitPriceDescription).toBe('0.0005 KWD per request');
  });
});

describe('per-API overrides', () => {
  const m = meter(perUnit('0.001'), {
    includedUnits: 1000,
    apiOverrides: { search: perUnit('0.01'), geo: { model: 'package', packageSize: 100, packagePrice: d('1') } },
  });
  const lines = (usage: Record<string, number>): UsageLine[] =>
    priceMeter(m, new Map(Object.entries(usage)), 'EUR');
  const brief = (ls: UsageLine[]) => ls.map((l) => [l.api ?? '-', l.units, l.includedUnits, l.amountMinor]);

  it('prices the overridden API with its model and everything else with the default', () => {
    expect(brief(lines({ a: 3000, b: 1000, search: 500 }))).toEqual([
      ['-', 4000n, 1000n, 300n], // a + b, 3000 billable × 0.001
      ['search', 500n, 0n, 500n], // included units already used by default usage
    ]);
  });

  it('spends leftover included units on overridden APIs in alphabetical order', () => {
    expect(brief(lines({ a: 300, search: 500, geo: 450 }))).toEqual([
      ['-', 300n, 300n, 0n],
      ['geo', 450n, 450n, 0n],
      ['search', 500n, 250n, 250n],
    ]);
  });

  it('does not depend on the order usage arrives in', () => {
    expect(lines({ search: 500, geo: 450, a: 300 })).toEqual(lines({ a: 300, geo: 450, search: 500 }));
  });

  it('always has the default line, and override lines only with usage', () => {
    expect(brief(lines({}))).toEqual([['-', 0n, 0n, 0n]]);
    expect(brief(lines({ search: 0 }))).toEqual([['-', 0n, 0n, 0n]]);
  });

  it('priceUsage picks the override for its apiProduct, and ignores inherited keys', () => {
    expect(priceUsage(m, 1100, { currency: 'EUR', apiProduct: 'search' }).amountMinor).toBe(100n);
    expect(priceUsage(m, 1100, { currency: 'EUR', apiProduct: 'other' }).amountMinor).toBe(10n);
    expect(priceUsage(m, 1100, { currency: 'EUR', apiProduct: 'constructor' }).amountMinor).toBe(10n);
  });
});

describe('priceInvoice', () => {
  const starter = plan([meter(perUnit('0.002'), { includedUnits: 10_000 })], { baseFee: 1900n });

  it('bills the base fee on zero usage', () => {
    const draft = priceInvoice(starter, []);
    expect(draft.lines.map((l) => l.amountMinor)).toEqual([1900n, 0n]);
    expect(draft.totalMinor).toBe(1900n);
    expect(draft.lostRevenueMinor).toBe(0n);
  });

  it('does not bill 5xx by default and reports them as lost revenue', () => {
    const draft = priceInvoice(starter, [row('a', 12_000, '2xx'), row('a', 500, '4xx'), row('a', 1_000, '5xx')]);
    const usage = draft.lines[1] as UsageLine;
    expect([usage.units, usage.billableUnits, usage.amountMinor]).toEqual([12_500n, 2_500n, 500n]);
    expect(draft.totalMinor).toBe(2400n);
    expect(draft.lostRevenueMinor).toBe(200n); // 1 000 × 0.002
  });

  it('counts failed calls inside the included allowance as no loss', () => {
    const draft = priceInvoice(starter, [row('a', 5_000), row('a', 1_000, '5xx')]);
    expect(draft.lostRevenueMinor).toBe(0n);
  });

  it('honours the plan setting for billable statuses', () => {
    const strict = { ...starter, billableStatuses: new Set(['2xx' as const]) };
    const draft = priceInvoice(strict, [row('a', 11_000, '2xx'), row('a', 1_000, '4xx')]);
    expect(draft.totalMinor).toBe(1900n + 200n);
    expect(draft.lostRevenueMinor).toBe(200n);
  });

  it('never reports negative lost revenue (volume pricing can make extra calls cheaper)', () => {
    const v = plan([meter({ model: 'volume', tiers: [tier(1000, '0.01'), tier(null, '0.001')] })]);
    const draft = priceInvoice(v, [row('a', 1000), row('a', 1, '5xx')]);
    expect(draft.totalMinor).toBe(1000n);
    expect(draft.lostRevenueMinor).toBe(0n);
  });

  it('applies meter filters: API, method (any case), status class, bytes', () => {
    const p = plan([
      meter(perUnit('0.01'), { id: 'writes', filter: { apis: ['orders'], methods: ['POST', 'PUT'] } }),
      meter(perUnit('0.001'), { id: 'ok-reads', filter: { methods: ['GET'], statusClasses: ['2xx'] } }),
      meter({ model: 'package', packageSize: 1_000_000_000, packagePrice: d('0.09') }, { id: 'transfer', unit: 'bytes' }),
      meter(perUnit('0.000000001'), { id: 'egress', unit: 'response_bytes' }),
    ]);
    const draft = priceInvoice(p, [
      row('orders', 100, '2xx', { method: 'post', requestBytes: 1e9, responseBytes: 2e9 }),
      row('orders', 10, '2xx', { method: 'DELETE' }),
      row('search', 100, '2xx', { method: 'POST' }),
      row('search', 1000, '2xx', { method: 'GET', responseBytes: 1 }),
      row('search', 1000, '4xx', { method: 'GET' }),
    ]);
    const byMeter = Object.fromEntries(
      draft.lines.filter((l): l is UsageLine => l.kind === 'usage').map((l) => [l.meterId, [l.units, l.amountMinor]]),
    );
    expect(byMeter).toEqual({
      writes: [100n, 100n],
      'ok-reads': [1000n, 100n],
      transfer: [3_000_000_001n, 36n], // 4 packages started
      egress: [2_000_000_001n, 200n],
    });
    expect(draft.totalMinor).toBe(436n);
  });

  it('shares included units with overrides and reports lost revenue across them', () => {
    const p = plan([meter(perUnit('0.001'), { includedUnits: 1000, apiOverrides: { search: perUnit('0.01') } })]);
    // Billable: default 500 (all included), search 1000 (500 included) -> 500 × 0.01 = 5 EUR.
    // With the failed default calls: default 1000 (all included), search 1000 billable -> 10 EUR.
    const draft = priceInvoice(p, [row('a', 500), row('search', 1000), row('a', 500, '5xx')]);
    expect(draft.totalMinor).toBe(500n);
    expect(draft.lostRevenueMinor).toBe(500n);
  });

  it('accepts bigint counts from ClickHouse and stays exact at 1e12 calls', () => {
    const p = plan([meter(perUnit('0.0000015'))], { currency: 'USD' });
    const draft = priceInvoice(p, [row('a', 0, '2xx', { requests: 1_000_000_000_000n }), row('a', 1)]);
    // (1e12 + 1) × 0.0000015 = 1 500 000.0000015 USD; a float would already be off in the last digits.
    expect(draft.totalMinor).toBe(150_000_000n);
    const line = draft.lines[0] as UsageLine;
    expect(line.units).toBe(1_000_000_000_001n);
  });
});
