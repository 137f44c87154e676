// Where a consumer's usage lands at the end of its billing period if it goes on at the pace of the
// period so far (linear), and the UTC calendar month a period name ('2025-06') stands for. Pure:
// the clock is a parameter, so the page passes Date.now() and tests pass a fixed instant.

export interface PeriodBounds {
  start: Date;
  end: Date;
}

/** Billing periods are calendar months in UTC (@tollgate/pricing period.ts). */
export function periodBounds(name: string): PeriodBounds {
  const match = /^(\d{4})-(\d{2})$/.exec(name);
  if (!match) throw new Error(`not a period name: ${name}`);
  const year = Number(match[1]);
  const month = Number(match[2]) - 1;
  return { start: new Date(Date.UTC(year, month, 1)), end: new Date(Date.UTC(year, month + 1, 1)) };
}

export interface Forecast {
  /** Usage projected at the period's end, rounded to a whole unit. */
  projected: number;
  /** Share of the period elapsed at `now`, 0..1. */
  elapsed: number;
}

/** `used` units by `now`, projected linearly to the period's end (no projection before any time passed). */
export function linearForecast(used: number, period: PeriodBounds, now: Date): Forecast {
  const length = period.end.getTime() - period.start.getTime();
  const elapsedMs = Math.min(Math.max(now.getTime() - period.start.getTime(), 0), length);
  if (elapsedMs === 0) return { projected: used, elapsed: 0 };
  return { projected: Math.round((used * length) / elapsedMs), elapsed: elapsedMs / length };
}
