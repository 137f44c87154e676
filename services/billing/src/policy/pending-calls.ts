// Calls this process allowed that the usage it last read may not hold yet: what keeps a hard quota
// tight between two reads of the usage rollup (quota-book.ts), so a quota is exceeded by at most the
// calls in flight rather than by QUOTA_REFRESH_MS plus the pipeline's delay worth of traffic.
//
// Counting them on top of the usage read would count twice every call that has reached ClickHouse
// since. So calls are kept per minute of their decision, from a window start on (a whole minute, as
// usage_minute's buckets are), and each usage read also reads the same consumers' usage since that
// start. A consumer's usage is then
//
//   usage of the period  +  max(0, calls allowed here since start − usage since start)
//
// With one deciding process every call of the window that ClickHouse holds was allowed here, so
// the difference is exactly the calls still on their way. (With several replicas, calls the others
// allowed hide as many of ours: see docs/policy.md for the bound.) Minutes older than the window
// (PENDING_WINDOW_MS, longer than any healthy pipeline delay) are dropped at the next read, which
// keeps memory to one counter per consumer and recent minute.

const MINUTE_MS = 60_000;
/** How far back calls are kept: the pipeline (gateway log → tap → Kafka → enricher) is expected to deliver within it. */
export const PENDING_WINDOW_MS = 10 * MINUTE_MS;

interface ConsumerCalls {
  /** Minute start (ms) → calls allowed in it. */
  readonly minutes: Map<number, number>;
  total: number;
}

export class PendingCalls {
  private readonly byConsumer = new Map<string, ConsumerCalls>();
  /** Calls before this minute start are no longer counted here (the usage read covers them). */
  private from = 0;

  /** The window start a usage read made at `now` should use: whole minutes, within the period. */
  static windowStart(now: number, periodStart: number): number {
    return Math.max(periodStart, Math.floor((now - PENDING_WINDOW_MS) / MINUTE_MS) * MINUTE_MS);
  }

  record(consumer: string, now: number): void {
    let calls = this.byConsumer.get(consumer);
    if (!calls) {
      calls = { minutes: new Map(), total: 0 };
      this.byConsumer.set(consumer, calls);
    }
    const minute = Math.max(this.from, Math.floor(now / MINUTE_MS) * MINUTE_MS);
    calls.minutes.set(minute, (calls.minutes.get(minute) ?? 0) + 1);
    calls.total++;
  }

  /** Calls allowed here since the window start. */
  since(consumer: string): number {
    return this.byConsumer.get(consumer)?.total ?? 0;
  }

  /** Consumers with calls in the window: whose usage since the window start a read must fetch. */
  consumers(): string[] {
    return [...this.byConsumer.keys()];
  }

  /** A usage read counting from `windowStart` is installed: calls before it are in its usage. */
  rebase(windowStart: number): void {
    this.from = windowStart;
    for (const [consumer, calls] of this.byConsumer) {
      for (const [minute, n] of calls.minutes) {
        if (minute < windowStart) {
          calls.minutes.delete(minute);
          calls.total -= n;
        }
      }
      if (calls.minutes.size === 0) this.byConsumer.delete(consumer);
    }
  }
}

/** The usage a hard quota counts: the period's, plus the allowed calls it does not hold yet. */
export function usageWithPending(periodUsage: bigint, pendingSince: number, usageSince: bigint): bigint {
  const unseen = BigInt(pendingSince) - usageSince;
  return unseen > 0n ? periodUsage + unseen : periodUsage;
}
