// Text every stage can store: well-formed UTF-16 (no lone surrogate), cut on code-point boundaries.
// A cut at a fixed number of code units can split a surrogate pair and keep half of it; JSON carries
// that half as an escape (\ud83d), and ClickHouse refuses it (Code 25) together with the whole insert.

/** `text` with every lone surrogate replaced by U+FFFD. */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/** At most `max` UTF-16 code units of `text`, never ending inside a surrogate pair, well-formed. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return wellFormed(text);
  const last = text.charCodeAt(max - 1);
  // A high surrogate as the last unit kept would lose its pair: keep one unit less.
  return wellFormed(text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max));
}

/** Makes every string inside a parsed JSON value well-formed, in place; returns how many it repaired. */
export function repairText(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let repaired = 0;
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  const target = value as Record<string | number, unknown>;
  for (const [key, item] of entries) {
    if (typeof item === 'string') {
      if (!item.isWellFormed()) {
        target[key] = item.toWellFormed();
        repaired += 1;
      }
    } else {
      repaired += repairText(item);
    }
  }
  return repaired;
}
