// Rate limits counted in memory, per consumer × policy, by GCRA (the generic cell rate algorithm:
// a token bucket kept as one number per key, the "theoretical arrival time" of the next call).
// A policy of `limit` calls per window lets a burst of `limit` through, then one call every
// window/limit: over any span D it allows at most limit × D/window + limit calls.
//
// Memory stays bounded: a key whose arrival time has passed holds no more than a fresh key would,
// so it is dropped — a few keys are checked on every call (no timer, no pause to sweep the whole
// map) — and beyond `maxKeys` the oldest key is dropped (that consumer may burst once more).
// The clock is handed in (milliseconds), so tests step it instead of sleeping.

/** One limit as the limiter enforces it, in this process's share (policy/plan-policies.ts). */
export interface LimiterPolicy {
  /** Milliseconds between calls at the sustained rate (window / limit). */
  readonly emissionMs: number;
  /** How far ahead of now the arrival time may run: the burst beyond one call, in milliseconds. */
  readonly toleranceMs: number;
}

export interface LimiterCheck {
  /** Consumer and policy: what one bucket counts. */
  readonly key: string;
  readonly policy: LimiterPolicy;
}

export interface LimiterState {
  /** Calls still allowed at once after this one (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
  /** Milliseconds until a call would be allowed; 0 when this one was. */
  readonly retryAfterMs: number;
}

/** Keys checked for expiry on each call: enough to keep up with any rate of new keys. */
const SWEEP_PER_CALL = 2;
export const DEFAULT_MAX_LIMITER_KEYS = 1_000_000;

export class RateLimiter {
  private readonly arrival = new Map<string, number>();
  private sweep: IterableIterator<[string, number]> = this.arrival.entries();

  constructor(private readonly maxKeys = DEFAULT_MAX_LIMITER_KEYS) {}

  get size(): number {
    return this.arrival.size;
  }

  /**
   * Takes one call from every bucket, or from none: a call refused by one limit must not use up
   * the others. `states` gets one state per check, in order.
   */
  take(checks: readonly LimiterCheck[], now: number, states: LimiterState[] = []): { allowed: boolean; states: LimiterState[] } {
    let allowed = true;
    for (const { key, policy } of checks) {
      const start = Math.max(this.arrival.get(key) ?? now, now);
      const ahead = start - now;
      if (ahead > policy.toleranceMs) {
        allowed = false;
        states.push({ remaining: 0, resetMs: ahead, retryAfterMs: ahead - policy.toleranceMs });
      } else {
        const next = ahead + policy.emissionMs;
        states.push({ remaining: Math.max(0, Math.floor((policy.toleranceMs - next) / policy.emissionMs) + 1), resetMs: next, retryAfterMs: 0 });
      }
    }
    if (allowed) {
      for (const { key, policy } of checks) {
        const known = this.arrival.get(key);
        if (known === undefined && this.arrival.size >= this.maxKeys) this.dropOldest();
        this.arrival.set(key, Math.max(known ?? now, now) + policy.emissionMs);
      }
    }
    this.sweepSome(now);
    return { allowed, states };
  }

  private dropOldest(): void {
    const oldest = this.arrival.keys().next();
    if (!oldest.done) this.arrival.delete(oldest.value);
  }

  private sweepSome(now: number): void {
    for (let i = 0; i < SWEEP_PER_CALL; i++) {
      const next = this.sweep.next();
      if (next.done) {
        this.sweep = this.arrival.entries();
        return;
      }
      const [key, at] = next.value;
      if (at <= now) this.arrival.delete(key);
    }
  }
}
