import { describe, expect, it } from 'vitest';
import { quotaState, quotaUnits } from '../src/quota.ts';
import { meter, perUnit, plan, row } from './fixtures.ts';

describe('quotaState', () => {
  const free = plan([meter(perUnit('0'))], { quota: { limit: 1000, kind: 'hard' } });
  const soft = plan([meter(perUnit('0.002'))], { quota: { limit: 1000, kind: 'soft' } });

  it('is null without a quota', () => {
    expect(quotaState(plan([]), 5)).toBeNull();
  });

  it.each([
    [0, 1000, false, false],
    [999, 1, false, false],
    [1000, 0, false, true], // the 1 000th call was allowed; the next is refused
    [1001, 0, true, true],
  ])('hard quota, %i used: %i remaining, exceeded %s, blocked %s', (used, remaining, exceeded, blocked) => {
    expect(quotaState(free, used)).toEqual({ limit: 1000, used, remaining, hard: true, exceeded, blocked });
  });

  it('never blocks a soft quota', () => {
    expect(quotaState(soft, 5000n)).toEqual({ limit: 1000, used: 5000, remaining: 0, hard: false, exceeded: true, blocked: false });
  });
});

describe('quotaUnits', () => {
  it('counts billable requests of all APIs; failed calls do not use up quota', () => {
    const p = plan([]);
    expect(quotaUnits(p, [row('a', 10), row('b', 5, '4xx'), row('a', 7, '5xx'), row('c', 0, '2xx', { requests: 3n })])).toBe(18n);
  });
});
