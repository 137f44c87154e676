// Test timestamps come from the clock, never the calendar: tables drop rows older than a TTL counted
// from today, and billing asks which period "now" is in, so a fixed date passes only until it ages out.
// `faketime -f '+100d' npm test` must pass as well as `npm test`.

const DAY_MS = 86_400_000;

/** Whole milliseconds-since-epoch `days` before `now`, cut to the second: a stable base for a file's events. */
export function daysAgo(days: number, now = Date.now()): number {
  return Math.floor(now / 1_000) * 1_000 - days * DAY_MS;
}

/**
 * Environment for a native child process (NGINX) that must stamp times on the run's clock. Under
 * `faketime`, bootstrap.mjs took libfaketime out of Node and moved Node's clock by
 * TOLLGATE_CLOCK_OFFSET_MS (deploy/local/shifted-clock.mjs); this puts libfaketime back, with that
 * offset, for a child that is not Node. Without a shifted clock it is the environment unchanged.
 */
export function runClockEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const offsetMs = Number(env.TOLLGATE_CLOCK_OFFSET_MS ?? 0);
  const preload = env.TOLLGATE_FAKETIME_PRELOAD;
  if (!offsetMs || !preload) return env;
  return { ...env, LD_PRELOAD: preload, FAKETIME: `${offsetMs >= 0 ? '+' : ''}${Math.round(offsetMs / 1000)}`, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

/** The run's clock in a browser page: Chromium reads the real clock, the test's data follows Node's. */
export const pageClock = (): { time: number } => ({ time: Date.now() });
