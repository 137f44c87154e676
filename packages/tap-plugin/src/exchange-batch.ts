// How the plugin's exchanges cross from the event loop to the sink's worker: written field by field
// into two transferable arrays — the numbers as doubles, the text as UTF-16 code units — and handed
// over without copying. A structured clone of the same tuples cost about a microsecond per request
// on the event loop (measured in the hello-world under load), a twentieth of the request itself;
// writing them here costs a fraction of that, and the worker does the reading.
//
// Text fields, in tuple order, each as one header unit and then its code units:
//   0xFFFF        null
//   0xFFFE        the same text as this field of the previous exchange in the batch
//   < 0x8000      its length
//   0x8000-0xFFEF the top 15 bits of a longer length; the next unit holds the low 16 bits
// Code units are copied as they are, so any string — lone surrogates included — reads back equal.
import { EXCHANGE_LENGTH, FIELD, type Exchange } from './exchange.ts';

/** Tuple positions of the numbers, and of the text fields, in the order they are written. */
export const NUMBER_FIELDS: readonly number[] = [FIELD.startedAtMs, FIELD.status, FIELD.elapsedMs, FIELD.requestBytes, FIELD.responseBytes];
const TEXT_FIELDS: readonly number[] = Array.from({ length: EXCHANGE_LENGTH }, (_, i) => i).filter((i) => !NUMBER_FIELDS.includes(i));
// A missing number travels as NaN (the plugin records only finite numbers).
const NULL_TEXT = 0xffff;
const SAME_TEXT = 0xfffe;
const LONG_LENGTH = 0x8000;
/** The longest text a header can describe: (0xFFEF - 0x8000) << 16 | 0xFFFF code units. */
const MAX_TEXT = ((0xffef - LONG_LENGTH) << 16) | 0xffff;

/** What crosses to the worker: the buffers are transferred, not copied. */
export interface ExchangeBatch {
  count: number;
  numbers: Float64Array<ArrayBuffer>;
  text: Uint16Array<ArrayBuffer>;
  /** Code units of `text` in use. */
  textLength: number;
}

/**
 * Collects exchanges into one batch. `add` returns false when the exchange does not fit: the
 * caller hands over what is there (`take`) and adds it to the next batch.
 */
export class ExchangeBatchWriter {
  private numbers: Float64Array<ArrayBuffer>;
  private text: Uint16Array<ArrayBuffer>;
  private count = 0;
  private textAt = 0;
  /**
   * The text last written for each field in this batch, as the reader will know it; null where
   * unknown. Only ever forgotten, never wrong: SAME_TEXT is written only for an equal value.
   */
  private readonly previous: Array<string | null> = new Array<string | null>(EXCHANGE_LENGTH).fill(null);

  constructor(
    private readonly maxEvents: number,
    private readonly textUnits: number,
    private readonly spare: Array<{ numbers: Float64Array<ArrayBuffer>; text: Uint16Array<ArrayBuffer> }> = [],
  ) {
    ({ numbers: this.numbers, text: this.text } = this.buffers(textUnits));
  }

  get size(): number {
    return this.count;
  }

  /** Returns buffers the worker is done with, for the next batches. */
  recycle(numbers: Float64Array<ArrayBuffer>, text: Uint16Array<ArrayBuffer>): void {
    if (this.spare.length < 4 && numbers.length === this.maxEvents * NUMBER_FIELDS.length && text.length === this.textUnits) this.spare.push({ numbers, text });
  }

  add(exchange: Exchange): boolean {
    if (this.count >= this.maxEvents) return false;
    const numbers = this.numbers;
    let at = this.count * NUMBER_FIELDS.length;
    for (let i = 0; i < NUMBER_FIELDS.length; i += 1) {
      const value = exchange[NUMBER_FIELDS[i]!] as number | null;
      numbers[at++] = value === null ? Number.NaN : value;
    }
    const text = this.text;
    const previous = this.previous;
    let pos = this.textAt;
    for (let i = 0; i < TEXT_FIELDS.length; i += 1) {
      const field = TEXT_FIELDS[i]!;
      const value = exchange[field] as string | null;
      if (value === null) {
        if (pos >= text.length) return this.tooBig();
        text[pos++] = NULL_TEXT;
        continue;
      }
      if (value === previous[field]) {
        if (pos >= text.length) return this.tooBig();
        text[pos++] = SAME_TEXT;
        continue;
      }
      const length = value.length;
      if (length > MAX_TEXT) throw new RangeError(`exchange text of ${length} code units`);
      if (pos + 2 + length > text.length) return this.tooBig();
      if (length < LONG_LENGTH) text[pos++] = length;
      else {
        text[pos++] = LONG_LENGTH + (length >>> 16);
        text[pos++] = length & 0xffff;
      }
      for (let c = 0; c < length; c += 1) text[pos++] = value.charCodeAt(c);
      previous[field] = value;
    }
    this.textAt = pos;
    this.count += 1;
    return true;
  }

  /** An exchange that did not fit an empty batch gets a batch as large as it needs. */
  private tooBig(): false {
    // The exchange was written in part: forget what it left in `previous`.
    this.previous.fill(null);
    if (this.count === 0) this.text = new Uint16Array(this.text.length * 4);
    return false;
  }

  /** The batch so far, or undefined when empty; the writer starts a new one. */
  take(): ExchangeBatch | undefined {
    if (this.count === 0) return undefined;
    const batch = { count: this.count, numbers: this.numbers, text: this.text, textLength: this.textAt };
    ({ numbers: this.numbers, text: this.text } = this.spare.pop() ?? this.buffers(this.textUnits));
    this.count = 0;
    this.textAt = 0;
    this.previous.fill(null);
    return batch;
  }

  private buffers(textUnits: number): { numbers: Float64Array<ArrayBuffer>; text: Uint16Array<ArrayBuffer> } {
    return { numbers: new Float64Array(this.maxEvents * NUMBER_FIELDS.length), text: new Uint16Array(textUnits) };
  }
}

/** Code units to text; in slices, as String.fromCharCode takes them as arguments. */
function decodeText(text: Uint16Array, from: number, length: number): string {
  if (length <= 4_096) return String.fromCharCode.apply(null, text.subarray(from, from + length) as unknown as number[]);
  let out = '';
  for (let at = from; at < from + length; at += 4_096) out += String.fromCharCode.apply(null, text.subarray(at, Math.min(at + 4_096, from + length)) as unknown as number[]);
  return out;
}

/**
 * Where one exchange's fields lie in its batch, by tuple position, without making strings of them:
 * a text field's code units are text[start[f]] … text[start[f] + length[f] - 1]. Within a batch,
 * equal positions are equal text (a repeated value is written once).
 */
export class ExchangeFields {
  readonly start = new Int32Array(EXCHANGE_LENGTH);
  readonly length = new Int32Array(EXCHANGE_LENGTH);
  /** 0 where the field is null. */
  readonly present = new Uint8Array(EXCHANGE_LENGTH);
  /** This exchange's first number in the batch's numbers (startedAtMs, status, elapsedMs, requestBytes, responseBytes). */
  numbersAt = 0;
}

/** Visits each exchange of the batch in order; `fields` is the same object each time, updated. */
export function scanExchangeBatch(batch: ExchangeBatch, visit: (fields: ExchangeFields) => void): void {
  const text = batch.text;
  const fields = new ExchangeFields();
  const { start, length, present } = fields;
  let pos = 0;
  for (let e = 0; e < batch.count; e += 1) {
    fields.numbersAt = e * NUMBER_FIELDS.length;
    for (let i = 0; i < TEXT_FIELDS.length; i += 1) {
      const field = TEXT_FIELDS[i]!;
      const head = text[pos++]!;
      // The last text of a field stays in start/length across nulls: SAME_TEXT may refer to it.
      if (head === NULL_TEXT) present[field] = 0;
      else if (head === SAME_TEXT) present[field] = 1;
      else {
        const units = head < LONG_LENGTH ? head : ((head - LONG_LENGTH) << 16) | text[pos++]!;
        start[field] = pos;
        length[field] = units;
        present[field] = 1;
        pos += units;
      }
    }
    visit(fields);
  }
}

/** A text field of the exchange as a string; null where it is null. */
export function fieldText(text: Uint16Array, fields: ExchangeFields, field: number): string | null {
  return fields.present[field] ? decodeText(text, fields.start[field]!, fields.length[field]!) : null;
}
