// The Stripe adapter's own rules, without Stripe: keys that cannot collide, quoted search values,
// and every page of an invoice's items read.
import type Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { searchString, stripeKey, StripeBilling } from '../src/stripe-billing.ts';

describe('idempotency keys', () => {
  it('differ for parts that a separator would join alike, and stay within 255 characters', () => {
    expect(stripeKey('db', '2026-10', 'a:b', 'c')).not.toBe(stripeKey('db', '2026-10', 'a', 'b:c'));
    expect(stripeKey('inv', 'line', 'calls:orders')).not.toBe(stripeKey('inv', 'line:calls', 'orders'));
    expect(stripeKey('db', 'x'.repeat(1000))).toMatch(/^tollgate_[0-9a-f]{64}$/);
    expect(stripeKey('db', 'p', 'c')).toBe(stripeKey('db', 'p', 'c'));
  });
});

describe('search values', () => {
  it('are quoted with their quotes and backslashes escaped', () => {
    expect(searchString("o'brien")).toBe("'o\\'brien'");
    expect(searchString('a\\b')).toBe("'a\\\\b'");
  });
});

describe('invoice items', () => {
  it('reads every page of an invoice\'s items, not only the first 100', async () => {
    const items = Array.from({ length: 250 }, (_, i) => ({ id: `ii_${i}`, metadata: { tollgate_line_key: `line-${i}`, tollgate_invoice: 'in_1' } }));
    const asked: Array<string | undefined> = [];
    const stripe = {
      invoiceItems: {
        list: async (params: { invoice: string; limit: number; starting_after?: string }) => {
          asked.push(params.starting_after);
          const from = params.starting_after ? items.findIndex((i) => i.id === params.starting_after) + 1 : 0;
          const data = items.slice(from, from + params.limit);
          return { data, has_more: from + params.limit < items.length };
        },
      },
    } as unknown as Stripe;
    const found = await new StripeBilling(stripe, { attempts: 1, baseMs: 1, maxMs: 1 }).invoiceItemsByLineKey('in_1');
    expect(found.size).toBe(250);
    expect(found.get('line-249')).toBe('ii_249');
    expect(asked).toEqual([undefined, 'ii_99', 'ii_199']);
  });
});
