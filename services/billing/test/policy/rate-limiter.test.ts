// The GCRA limiter on an injected clock: bursts, the sustained rate, all-or-nothing across
// policies, the replica share, and bounded memory.
import { describe, expect, it } from 'vitest';
import { ratePolicy, type RatePolicy } from '../../src/policy/plan-policies.ts';
import { RateLimiter } from '../../src/policy/rate-limiter.ts';

const perSecond = (limit: number, replicas = 1): RatePolicy[] => [ratePolicy({ limit, per: 'second' }, `${limit}-per-second`, replicas)];
const ONLY = [0];

/** Calls at a steady rate over a span: how many the limiter let through. */
function allowedOver(limiter: RateLimiter, policies: RatePolicy[], callsPerSecond: number, seconds: number): number {
  let allowed = 0;
  for (let i = 0; i < callsPerSecond * seconds; i++) if (limiter.take('c', policies, ONLY, (i * 1000) / callsPerSecond).allowed) allowed++;
  return allowed;
}

describe('RateLimiter (GCRA)', () => {
  it('lets a burst of the limit through, then refuses with the time until the next call', () => {
    const limiter = new RateLimiter();
    const policies = perSecond(5);
    const states = [1, 2, 3, 4, 5].map(() => limiter.take('c', policies, ONLY, 0));
    expect(states.map((s) => s.allowed)).toEqual([true, true, true, true, true]);
    expect(states.map((s) => s.states[0]!.remaining)).toEqual([4, 3, 2, 1, 0]);
    expect(states[4]!.states[0]!.resetMs).toBe(1000);
    const refused = limiter.take('c', policies, ONLY, 50);
    expect(refused.allowed).toBe(false);
    expect(refused.states[0]).toEqual({ remaining: 0, resetMs: 950, retryAfterMs: 150 });
    expect(limiter.take('c', policies, ONLY, 199).allowed).toBe(false);
    expect(limiter.take('c', policies, ONLY, 200).allowed).toBe(true);
  });

  it('holds the sustained rate: at 50 calls/s for 10 s, 5/s lets through limit × 10 + the burst at most', () => {
    const allowed = allowedOver(new RateLimiter(), perSecond(5), 50, 10);
    expect(allowed).toBeGreaterThanOrEqual(50);
    expect(allowed).toBeLessThanOrEqual(55);
  });

  it('keeps consumers apart', () => {
    const limiter = new RateLimiter();
    const policies = perSecond(1);
    expect(limiter.take('a', policies, ONLY, 0).allowed).toBe(true);
    expect(limiter.take('a', policies, ONLY, 0).allowed).toBe(false);
    expect(limiter.take('b', policies, ONLY, 0).allowed).toBe(true);
  });

  it('takes from every bucket or from none: a call refused by one limit does not use up the other', () => {
    const limiter = new RateLimiter();
    const policies = [ratePolicy({ limit: 100, per: 'second' }, 'wide', 1), ratePolicy({ limit: 2, per: 'minute' }, 'narrow', 1)];
    expect(limiter.take('c', policies, [0, 1], 0).allowed).toBe(true);
    expect(limiter.take('c', policies, [0, 1], 0).allowed).toBe(true);
    const refused = limiter.take('c', policies, [0, 1], 0);
    expect(refused.allowed).toBe(false);
    expect(refused.states[0]!.retryAfterMs).toBe(0);
    expect(refused.states[1]!.retryAfterMs).toBe(30_000);
    // The wide bucket still holds 98 of its 100: refusals took nothing from it.
    expect(limiter.take('c', policies, [0], 0).states[0]!.remaining).toBe(97);
  });

  it("with several replicas enforces each one's share, at least one call per window × replicas / limit", () => {
    const share = allowedOver(new RateLimiter(), perSecond(6, 3), 50, 10);
    expect(share).toBeGreaterThanOrEqual(20);
    expect(share).toBeLessThanOrEqual(2 * 10 + 2);
    // 5/s over 10 replicas: one call per 2 s in each, never none.
    const sparse = perSecond(5, 10);
    expect([sparse[0]!.emissionMs, sparse[0]!.toleranceMs]).toEqual([2000, 0]);
    expect(allowedOver(new RateLimiter(), sparse, 50, 10)).toBe(5);
  });

  it('starts a consumer moved to another plan afresh', () => {
    const limiter = new RateLimiter();
    expect(limiter.take('c', perSecond(1), ONLY, 0).allowed).toBe(true);
    expect(limiter.take('c', perSecond(1), ONLY, 0).allowed).toBe(true);
  });

  it('forgets idle consumers as calls go by, and never holds more than its cap', () => {
    const limiter = new RateLimiter(1_000);
    const policies = perSecond(10);
    for (let i = 0; i < 500; i++) limiter.take(`k${i}`, policies, ONLY, 0);
    expect(limiter.size).toBe(500);
    // A second later every bucket is full again, so no consumer holds state: a few calls sweep them all.
    for (let i = 0; i < 300; i++) limiter.take('busy', policies, ONLY, 1_000 + i);
    expect(limiter.size).toBeLessThanOrEqual(2);
    for (let i = 0; i < 5_000; i++) limiter.take(`n${i}`, policies, ONLY, 10_000);
    expect(limiter.size).toBeLessThanOrEqual(1_000);
    // A call no limit counts holds no state at all.
    const fresh = new RateLimiter();
    expect(fresh.take('c', policies, [], 0).allowed).toBe(true);
    expect(fresh.size).toBe(0);
  });
});
