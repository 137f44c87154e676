// When a failed delivery is tried again: exponential backoff with jitter, for a bounded window.
// The nth retry waits base × 2^(n−1), capped, of which a random half is jitter ("equal jitter"), so
// endpoints that failed together are not retried in lockstep. Past the window the delivery is
// given up, with one last attempt at the window's end.

export interface RetryPolicy {
  /** Wait before the first retry, before jitter (BILLING_WEBHOOK_RETRY_BASE_MS). */
  baseMs: number;
  /** Longest wait between two attempts. */
  maxMs: number;
  /** How long after the event deliveries are retried (72 h). */
  windowMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 10_000, maxMs: 3_600_000, windowMs: 72 * 3_600_000 };

/** Wait after the `attempts`-th failed attempt (1 = the first). `random` is in [0, 1). */
export function retryDelayMs(attempts: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random: number): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempts - 1, 52));
  return Math.round(exponential / 2 + (random * exponential) / 2);
}

/**
 * After a failed attempt at `now`: the time of the next attempt, or null to give up. The next
 * attempt never lies past the window's end; one made at (or after) the end is the last.
 */
export function nextAttemptAt(createdAt: Date, attempts: number, now: Date, policy: RetryPolicy, random: number): Date | null {
  const deadline = createdAt.getTime() + policy.windowMs;
  if (now.getTime() >= deadline) return null;
  return new Date(Math.min(deadline, now.getTime() + retryDelayMs(attempts, policy, random)));
}
