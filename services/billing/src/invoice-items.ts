// Which Stripe invoice items carry an invoice's ledger lines. Stripe refuses a 251st invoice item on
// an invoice (changelog 2016-02-22: "You can no longer add more than 250 invoice items to an
// invoice"); a plan with many per-API overrides can price more lines.
//
// The choice: one invoice per customer and period, always. Up to 250 non-zero lines, one item per
// line, as ever. Beyond, the lines of each meter become one item (its amount the exact sum of theirs,
// the lines themselves stay itemised in the ledger, and the item's metadata says how many it holds);
// with more meters than items, neighbouring meters share an item. Late-usage adjustments always
// keep an item each (one per earlier period at most), so reconciliation can tell which period
// each one corrects (tollgate_adjusts_period). The plan is a pure function of the
// ledger's line snapshot, so a resumed run derives the same items and the same idempotency keys.
import type { LineRecord } from './ledger.ts';
import { groupBy } from '@tollgate/platform';

export const STRIPE_MAX_INVOICE_ITEMS = 250;

export interface PlannedItem {
  /** Stripe metadata tollgate_line_key and idempotency key part: the line's key, or group:<meters>. */
  key: string;
  lines: LineRecord[];
  amountMinor: bigint;
  description: string;
}

const sum = (lines: readonly LineRecord[]): bigint => lines.reduce((total, line) => total + line.amount_minor, 0n);

function single(line: LineRecord): PlannedItem {
  return { key: line.line_key, lines: [line], amountMinor: line.amount_minor, description: line.description };
}

function grouped(meters: string[], lines: LineRecord[]): PlannedItem {
  if (lines.length === 1) return single(lines[0] as LineRecord);
  // The meter's own description: the line without an API override, or an override's without its "(api)".
  const plain = lines.find((line) => line.api === '')?.description ?? (lines[0] as LineRecord).description.replace(/ \([^()]*\)$/, '');
  const title = meters.length === 1 ? plain : `${meters.length} meters`;
  return { key: `group:${meters.join('+')}`, lines, amountMinor: sum(lines), description: `${title}: ${lines.length} lines (itemised in the usage statement)` };
}

/** Items for the non-zero lines of a snapshot sorted by line key; never more than `max`. */
export function plannedItems(snapshot: readonly LineRecord[], max = STRIPE_MAX_INVOICE_ITEMS): PlannedItem[] {
  const billable = snapshot.filter((line) => line.amount_minor !== 0n);
  if (billable.length <= max) return billable.map(single);
  const adjustments = billable.filter((line) => line.adjusts_period !== '');
  const byMeter = groupBy(billable.filter((line) => line.adjusts_period === ''), (line) => line.meter_id);
  const meters = [...byMeter.keys()].sort();
  const perItem = Math.ceil(meters.length / Math.max(1, max - adjustments.length));
  const items: PlannedItem[] = adjustments.map(single);
  for (let i = 0; i < meters.length; i += perItem) {
    const chunk = meters.slice(i, i + perItem);
    items.push(grouped(chunk, chunk.flatMap((meter) => byMeter.get(meter) ?? [])));
  }
  // A group whose charges and credits cancel out has nothing to put on the invoice.
  return items.filter((item) => item.amountMinor !== 0n);
}
