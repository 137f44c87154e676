// Number and money formatting and HTML escaping for the console, one place for each.

export const esc = (v: string | number | bigint | boolean | null | undefined): string => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
export const fmt = (n: unknown): string => Number(n ?? 0).toLocaleString('en-US');
export const pct = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '–');

const digits = new Map<string, number>();
function decimalsOf(currency: string): number {
  let d = digits.get(currency);
  if (d === undefined) {
    d = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
    digits.set(currency, d);
  }
  return d;
}

/** Minor units (a decimal string) as a major-unit number, for charts. */
export function major(minor: string | number | bigint, currency: string): number {
  return Number(minor) / 10 ** decimalsOf(currency);
}

/** Minor units as money text, e.g. "€12.30". */
export function money(minor: string | number | bigint, currency: string): string {
  if (!currency) return '–';
  return new Intl.NumberFormat('en', { style: 'currency', currency }).format(major(minor, currency));
}

/** Amounts in several currencies, never summed together: "€12.30 + $4.00" (or "–"). */
export function moneyByCurrency(totals: ReadonlyMap<string, bigint>): string {
  const parts = [...totals].filter(([currency]) => currency !== '').map(([currency, minor]) => money(minor.toString(), currency));
  return parts.length > 0 ? parts.join(' + ') : '0';
}

/** Adds one row's amount to per-currency totals. */
export function addMoney(totals: Map<string, bigint>, currency: string, minor: string | number | null | undefined): void {
  totals.set(currency, (totals.get(currency) ?? 0n) + BigInt(minor ?? 0));
}
