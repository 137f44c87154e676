// The records of one send, already in Kafka's record format and split by partition: what the sink
// queues and the transport wraps into record batches (record-batch.ts). Messages are written here as
// they are accepted, so nothing per message outlives its acceptance but its bytes: the plugin's
// worker kept each event as a string until Kafka acknowledged it, and collecting those strings,
// and the objects around them, was a fifth of its CPU.
// Record layout (after its length): attributes, timestampDelta, offsetDelta, key length, key,
// value length, value, header count — https://kafka.apache.org/documentation/#record
import { partitionOf } from './key-partitioner.ts';
import type { TextMessage } from '../delivery/text-message.ts';

/** One partition's records, offset deltas counting from 0, every timestamp delta 0. */
export interface PartitionRecords {
  bytes: Buffer;
  count: number;
}

export interface RecordSet {
  /** The topic's partition count the records were split for. */
  partitions: number;
  count: number;
  byPartition: Map<number, PartitionRecords>;
}

/** Bytes of a non-negative number as an unsigned varint. */
export function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Writes a non-negative number as an unsigned varint at `offset`; returns the offset after it. */
export function writeVarint(buffer: Uint8Array, offset: number, n: number): number {
  while (n >= 0x80) {
    buffer[offset++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buffer[offset++] = n;
  return offset;
}

/** Kafka's record fields are zig-zag varints; every value here is ≥ -1. */
const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

/** A record's bytes after its length prefix. `keyLength` is -1 for no key. */
function recordBodyBytes(offsetDelta: number, keyLength: number, valueLength: number): number {
  return 2 + varintBytes(zigzag(offsetDelta)) + varintBytes(zigzag(keyLength)) + Math.max(keyLength, 0) + varintBytes(valueLength * 2) + valueLength + 1;
}

/** A record's bytes, its length prefix included. */
function recordBytes(offsetDelta: number, keyLength: number, valueLength: number): number {
  const body = recordBodyBytes(offsetDelta, keyLength, valueLength);
  return varintBytes(body * 2) + body;
}

/** A record's bytes before its value (its length prefix included), and so where the value starts. */
function headBytes(offsetDelta: number, keyLength: number, valueLength: number): number {
  return recordBytes(offsetDelta, keyLength, valueLength) - valueLength - 1;
}

/** At the end of `target`: the record's length, attributes, timestamp delta, offset delta and key length. */
function writeHead(target: OpenPartition, keyLength: number, valueLength: number): number {
  const bytes = target.bytes;
  let at = writeVarint(bytes, target.length, recordBodyBytes(target.count, keyLength, valueLength) * 2);
  bytes[at++] = 0;
  bytes[at++] = 0;
  at = writeVarint(bytes, at, target.count * 2);
  return writeVarint(bytes, at, zigzag(keyLength));
}

/**
 * Buffers of builders whose records were sent (or spooled), for the next builders: records are
 * written into buffers that grew to a send's size once, not allocated and grown for every send.
 */
const spareBuffers: Buffer[] = [];
let spareBytes = 0;
/** What the spares may hold: a few sends' worth, not the most a burst ever needed. */
const MAX_SPARE_BYTES = 8 << 20;

interface OpenPartition {
  bytes: Buffer;
  length: number;
  count: number;
}

export class RecordSetBuilder {
  private readonly open = new Map<number, OpenPartition>();
  /** The partition startValue started a record in, and where its value begins. */
  private writing: OpenPartition | undefined;
  /** Where startValue wants the value written. */
  valueAt = 0;
  count = 0;

  constructor(readonly partitions: number) {}

  /**
   * Starts a record in `partition` for a writer that puts the value straight into the records:
   * returns the buffer to write the value into, from `valueAt`, at most `maxValueBytes` of it.
   * endValue completes the record.
   */
  startValue(partition: number, keyLength: number, maxValueBytes: number): Buffer {
    const open = this.reserve(partition, keyLength, maxValueBytes);
    this.writing = open;
    this.valueAt = open.length + headBytes(open.count, keyLength, maxValueBytes);
    return open.bytes;
  }

  /** The record started by startValue, its value written up to `valueEnd`, its key the first keyLength bytes of `key`. */
  endValue(key: Buffer, keyLength: number, valueEnd: number): void {
    const open = this.writing!;
    const valueLength = valueEnd - this.valueAt;
    // The head was sized for the longest value; a shorter one may need shorter varints.
    const valueAt = open.length + headBytes(open.count, keyLength, valueLength);
    if (valueAt !== this.valueAt) open.bytes.copyWithin(valueAt, this.valueAt, valueEnd);
    let at = writeHead(open, keyLength, valueLength);
    for (let i = 0; i < keyLength; i += 1) open.bytes[at++] = key[i]!;
    writeVarint(open.bytes, at, valueLength * 2);
    this.close(open, valueAt + valueLength);
  }

  /** Appends a message of text, to the partition its key (or value) hashes to. */
  appendMessage(message: TextMessage): void {
    const keyLength = message.key === null ? -1 : Buffer.byteLength(message.key, 'utf8');
    const valueLength = Buffer.byteLength(message.value, 'utf8');
    const target = this.reserve(partitionOf(message.key, message.value, this.partitions), keyLength, valueLength);
    let at = writeHead(target, keyLength, valueLength);
    if (keyLength > 0) at += target.bytes.write(message.key!, at, keyLength, 'utf8');
    at = writeVarint(target.bytes, at, valueLength * 2);
    this.close(target, at + target.bytes.write(message.value, at, valueLength, 'utf8'));
  }

  /** Gives the buffers to later builders: the records built here must no longer be read. */
  release(): void {
    for (const { bytes } of this.open.values()) {
      if (spareBytes + bytes.length > MAX_SPARE_BYTES) continue;
      spareBuffers.push(bytes);
      spareBytes += bytes.length;
    }
    this.open.clear();
    this.count = 0;
  }

  /** Bytes of records written so far, in every partition. */
  get bytes(): number {
    let total = 0;
    for (const open of this.open.values()) total += open.length;
    return total;
  }

  build(): RecordSet {
    const byPartition = new Map<number, PartitionRecords>();
    for (const [partition, open] of this.open) byPartition.set(partition, { bytes: open.bytes.subarray(0, open.length), count: open.count });
    return { partitions: this.partitions, count: this.count, byPartition };
  }

  /** The partition's buffer, with room for one more record. */
  private reserve(partition: number, keyLength: number, valueLength: number): OpenPartition {
    let open = this.open.get(partition);
    if (!open) {
      const spare = spareBuffers.pop();
      if (spare) spareBytes -= spare.length;
      open = { bytes: spare ?? Buffer.allocUnsafe(16_384), length: 0, count: 0 };
      this.open.set(partition, open);
    }
    const needed = open.length + recordBytes(open.count, keyLength, valueLength);
    if (needed > open.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, open.bytes.length * 2));
      open.bytes.copy(grown, 0, 0, open.length);
      open.bytes = grown;
    }
    return open;
  }

  /** After the value: no headers; the record is complete. */
  private close(target: OpenPartition, at: number): void {
    target.bytes[at++] = 0;
    target.length = at;
    target.count += 1;
    this.count += 1;
  }
}

/** Messages as records, split among `partitions` as their keys (or values) hash. */
export function recordSetOf(messages: readonly TextMessage[], partitions: number): RecordSet {
  const builder = new RecordSetBuilder(partitions);
  for (const message of messages) builder.appendMessage(message);
  return builder.build();
}

/** A signed varint (zig-zag) and the offset after it. */
function readVarint(bytes: Buffer, at: number): [value: number, next: number] {
  let raw = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++]!;
    raw += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
    shift += 7;
  }
  return [raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2, at];
}

/**
 * The set's records as text messages again, partition after partition, each partition's in order:
 * what the spool keeps when a send fails. Split again among the same partitions, they make the
 * same records, so a replay is the same batches the broker may already hold.
 */
export function messagesOf(set: RecordSet): TextMessage[] {
  const messages: TextMessage[] = [];
  for (const records of set.byPartition.values()) for (const message of partitionMessages(records)) messages.push(message);
  return messages;
}

/**
 * One partition's records in pieces of at most maxBytes (a record larger than that alone), each
 * with offset deltas from 0 again: a record batch larger than the broker's message.max.bytes is
 * refused whole, and would be refused again on every replay.
 */
export function splitRecords(records: PartitionRecords, maxBytes: number): PartitionRecords[] {
  if (records.bytes.length <= maxBytes) return [records];
  const pieces: PartitionRecords[] = [];
  let builder = new RecordSetBuilder(1);
  for (const message of partitionMessages(records)) {
    const size = recordBytes(builder.count, message.key === null ? -1 : Buffer.byteLength(message.key), Buffer.byteLength(message.value));
    if (builder.count > 0 && builder.bytes + size > maxBytes) {
      pieces.push(builder.build().byPartition.get(0)!);
      builder = new RecordSetBuilder(1);
    }
    builder.appendMessage(message);
  }
  pieces.push(builder.build().byPartition.get(0)!);
  return pieces;
}

function partitionMessages({ bytes }: PartitionRecords): TextMessage[] {
  const messages: TextMessage[] = [];
  let at = 0;
  while (at < bytes.length) {
    let length: number;
    [length, at] = readVarint(bytes, at);
    const end = at + length;
    at += 1; // attributes
    [, at] = readVarint(bytes, at); // timestamp delta
    [, at] = readVarint(bytes, at); // offset delta
    let keyLength: number;
    [keyLength, at] = readVarint(bytes, at);
    const key = keyLength < 0 ? null : bytes.toString('utf8', at, at + keyLength);
    at += Math.max(keyLength, 0);
    let valueLength: number;
    [valueLength, at] = readVarint(bytes, at);
    messages.push({ key, value: bytes.toString('utf8', at, at + valueLength) });
    at = end;
  }
  return messages;
}
