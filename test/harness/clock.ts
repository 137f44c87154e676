// Test timestamps come from the clock, never the calendar: tables drop rows older than a TTL counted
// from today, and billing asks which period "now" is in, so a fixed date passes only until it ages out.
// `faketime -f '+100d' npm test` must pass as well as `npm test`.

const DAY_MS = 86_400_000;

/** Whole milliseconds-since-epoch `days` before `now`, cut to the second: a stable base for a file's events. */
export function daysAgo(days: number, now = Date.now()): number {
  return Math.floor(now / 1_000) * 1_000 - days * DAY_MS;
}
