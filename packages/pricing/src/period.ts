// Billing periods are calendar months in UTC, named YYYY-MM: the only period plan file version 1
// knows (Plan.period 'month'), so they belong to the pricing domain, next to the plans.

export interface Period {
  name: string;
  /** Inclusive start, UTC. */
  start: Date;
  /** Exclusive end, UTC. */
  end: Date;
}

export function parsePeriod(name: string): Period {
  const match = /^(\d{4})-(\d{2})$/.exec(name);
  const month = match ? Number(match[2]) : 0;
  if (!match || month < 1 || month > 12) throw new Error(`period must be YYYY-MM, got "${name}"`);
  const year = Number(match[1]);
  return { name, start: new Date(Date.UTC(year, month - 1, 1)), end: new Date(Date.UTC(year, month, 1)) };
}

export function periodOf(date: Date): Period {
  return parsePeriod(`${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`);
}

export function previousPeriod(date: Date): Period {
  return periodOf(new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - 1, 1)));
}
