// Text every stage can store: well-formed UTF-16 (no lone surrogate), cut on code-point boundaries.
// A cut at a fixed number of code units can split a surrogate pair and keep half of it; JSON carries
// that half as an escape (\ud83d), and ClickHouse refuses it (Code 25) together with the whole insert.
// A module of its own, without imports (`@tollgate/schemas/text`): the plugin's worker cuts its
// text by the same rule without loading the validator.

/** `text` with every lone surrogate replaced by U+FFFD. */
export function wellFormed(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/**
 * Where a cut of a longer text to at most `max` code units ends, given the unit at max - 1: a high
 * surrogate there would lose its pair, so one unit less is kept. For texts held as code units
 * (the plugin's batches) as much as for strings (cutText).
 */
export function cutEnd(max: number, lastKeptUnit: number): number {
  return max > 0 && lastKeptUnit >= 0xd800 && lastKeptUnit <= 0xdbff ? max - 1 : max;
}

/** At most `max` UTF-16 code units of `text`, never ending inside a surrogate pair, well-formed. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return wellFormed(text);
  return wellFormed(text.slice(0, cutEnd(max, text.charCodeAt(max - 1))));
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
