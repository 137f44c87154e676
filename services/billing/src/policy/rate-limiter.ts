// Rate limits counted in memory, per consumer × policy, by GCRA (the generic cell rate algorithm:
// a token bucket kept as one number per bucket, the "theoretical arrival time" of the next call).
// A consumer's buckets live in one entry, one slot per policy of its plan (one lookup a decision).
// A policy of `limit` calls per window lets a burst of `limit` through, then one call every
// window/limit: over any span D it allows at most limit × D/window + limit calls.
//
// Memory stays bounded: a consumer whose arrival times have all passed holds no more than a fresh
// one would, so its entry is dropped — a few entries are checked on every call (no timer, no pause
// to sweep the whole map) — and beyond `maxKeys` consumers the oldest entry is dropped (that
// consumer may burst once more). A consumer moved to another plan starts with full buckets.
// The clock is handed in (milliseconds), so tests step it instead of sleeping.

/** One limit as the limiter enforces it, in this process's share (policy/plan-policies.ts). */
export interface LimiterPolicy {
  /** Milliseconds between calls at the sustained rate (window / limit). */
  readonly emissionMs: number;
  /** How far ahead of now the arrival time may run: the burst beyond one call, in milliseconds. */
  readonly toleranceMs: number;
}

export interface LimiterState {
  /** Calls still allowed at once after this one (0 when refused). */
  readonly remaining: number;
  /** Milliseconds until the bucket is full again. */
  readonly resetMs: number;
  /** Milliseconds until a call would be allowed; 0 when this one was. */
  readonly retryAfterMs: number;
}

/** Consumers checked for expiry on each call: enough to keep up with any rate of new consumers. */
const SWEEP_PER_CALL = 2;
export const DEFAULT_MAX_LIMITER_KEYS = 1_000_000;

/** One consumer's buckets: one arrival time per policy of its plan, by the policy's position. */
interface Buckets {
  /** The policies the slots belong to: another list (a new plan) starts the consumer afresh. */
  readonly policies: readonly LimiterPolicy[];
  readonly arrival: Float64Array;
  /** The latest arrival time: at or before now, every bucket is full and the entry can go. */
  latest: number;
}

export class RateLimiter {
  private readonly consumers = new Map<string, Buckets>();
  private sweep: IterableIterator<[string, Buckets]> = this.consumers.entries();

  constructor(private readonly maxKeys = DEFAULT_MAX_LIMITER_KEYS) {}

  /** Consumers holding state. */
  get size(): number {
    return this.consumers.size;
  }

  /**
   * Takes one call from the buckets of `policies` the call counts against (`applied`: positions in
   * `policies`), from all of them or from none: a call refused by one limit must not use up the
   * others. The states come back in the order of `applied`.
   */
  take(consumer: string, policies: readonly LimiterPolicy[], applied: readonly number[], now: number): { allowed: boolean; states: LimiterState[] } {
    let buckets = this.consumers.get(consumer);
    if (buckets !== undefined && buckets.policies !== policies) buckets = undefined;
    const states: LimiterState[] = [];
    let allowed = true;
    for (const i of applied) {
      const policy = policies[i] as LimiterPolicy;
      const start = Math.max(buckets?.arrival[i] ?? now, now);
      const ahead = start - now;
      if (ahead > policy.toleranceMs) {
        allowed = false;
        states.push({ remaining: 0, resetMs: ahead, retryAfterMs: ahead - policy.toleranceMs });
      } else {
        const next = ahead + policy.emissionMs;
        states.push({ remaining: Math.max(0, Math.floor((policy.toleranceMs - next) / policy.emissionMs) + 1), resetMs: next, retryAfterMs: 0 });
      }
    }
    if (allowed && applied.length > 0) {
      if (buckets === undefined) {
        if (!this.consumers.has(consumer) && this.consumers.size >= this.maxKeys) this.dropOldest();
        buckets = { policies, arrival: new Float64Array(policies.length), latest: 0 };
        this.consumers.set(consumer, buckets);
      }
      for (const i of applied) {
        const at = Math.max(buckets.arrival[i] as number, now) + (policies[i] as LimiterPolicy).emissionMs;
        buckets.arrival[i] = at;
        if (at > buckets.latest) buckets.latest = at;
      }
    }
    this.sweepSome(now);
    return { allowed, states };
  }

  private dropOldest(): void {
    const oldest = this.consumers.keys().next();
    if (!oldest.done) this.consumers.delete(oldest.value);
  }

  private sweepSome(now: number): void {
    for (let n = 0; n < SWEEP_PER_CALL; n++) {
      const next = this.sweep.next();
      if (next.done) {
        this.sweep = this.consumers.entries();
        return;
      }
      const [consumer, buckets] = next.value;
      if (buckets.latest <= now) this.consumers.delete(consumer);
    }
  }
}
