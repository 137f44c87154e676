import { describe, expect, it } from 'vitest';
import { plannedItems, STRIPE_MAX_INVOICE_ITEMS } from '../src/invoice-items.ts';
import type { LineRecord } from '../src/ledger.ts';

function line(key: string, meter: string, amount: bigint, over: Partial<LineRecord> = {}): LineRecord {
  return { period: '2026-01', consumer_id: 'c', line_key: key, adjusts_period: '', run_id: 'r', meter_id: meter, api: '', description: `${meter} line`, units: 1n, included_units: 0n, billable_units: 1n, amount_minor: amount, currency: 'EUR', stripe_invoice_item_id: '', ...over };
}
const total = (lines: readonly { amountMinor?: bigint; amount_minor?: bigint }[]) => lines.reduce((s, l) => s + (l.amountMinor ?? l.amount_minor ?? 0n), 0n);

describe('plannedItems', () => {
  it('one item per non-zero line up to the limit', () => {
    const lines = [line('base_fee', 'base_fee', 1000n), line('calls', 'calls', 0n), ...Array.from({ length: 249 }, (_, i) => line(`calls:a${i}`, 'calls', BigInt(i + 1), { api: `a${i}` }))];
    const items = plannedItems(lines);
    expect(items).toHaveLength(STRIPE_MAX_INVOICE_ITEMS);
    expect(items.every((item) => item.lines.length === 1 && item.key === item.lines[0]?.line_key)).toBe(true);
  });

  it('beyond it, a meter becomes one item; adjustments keep their own; the amounts add up', () => {
    const overrides = Array.from({ length: 300 }, (_, i) => line(`calls:a${i}`, 'calls', BigInt(i + 1), { api: `a${i}`, description: `API calls (a${i})` }));
    const lines = [line('base_fee', 'base_fee', 1000n, { description: 'Pro base fee' }), ...overrides, line('late:2025-12:1', 'late_usage', -40n, { adjusts_period: '2025-12' })];
    const items = plannedItems(lines);
    expect(items.map((item) => [item.key, item.lines.length, item.amountMinor])).toEqual([
      ['late:2025-12:1', 1, -40n],
      ['base_fee', 1, 1000n],
      ['group:calls', 300, 45150n],
    ]);
    expect(items[2]?.description).toBe('API calls: 300 lines (itemised in the usage statement)');
    expect(total(items)).toBe(total(lines));
  });

  it('more meters than items: neighbouring meters share one, never more than the limit', () => {
    const lines = Array.from({ length: 600 }, (_, i) => line(`m${String(i % 300).padStart(3, '0')}:${i}`, `m${String(i % 300).padStart(3, '0')}`, 1n));
    const items = plannedItems(lines);
    expect(items.length).toBeLessThanOrEqual(STRIPE_MAX_INVOICE_ITEMS);
    expect(total(items)).toBe(600n);
    expect(new Set(items.flatMap((item) => item.lines)).size).toBe(600);
  });
});
