// Kafka's v2 record batch (the on-the-wire and on-disk unit of a partition's messages), written in
// one pass over the tap's messages. The tap produces only string keys and values without headers,
// all with the send's timestamp, so each record is a few varints around two UTF-8 strings; a
// general encoder built each record as its own growable buffer and each value as its own Buffer
// first, which was about a third of the plugin worker's CPU per event.
// Layout: https://kafka.apache.org/documentation/#recordbatch
import { gzipSync } from 'node:zlib';
import { crc32c, snappyCompress } from '@platformatic/wasm-utils';
import type { Compression } from '../config.ts';

/** What the tap sends: a key (null for none) and a value, both text. */
export interface TextRecord {
  key: string | null;
  value: string;
}

export interface BatchIdentity {
  /** The idempotent producer's id and epoch, -1n / -1 for none. */
  producerId: bigint;
  producerEpoch: number;
  /** Sequence number of the batch's first record in its partition. */
  baseSequence: number;
  /** Milliseconds since the epoch, given to every record of the batch. */
  timestamp: number;
}

const CODEC: Record<Compression, number> = { none: 0, gzip: 1, snappy: 2 };
/** baseOffset 8, batchLength 4, partitionLeaderEpoch 4, magic 1, crc 4 … records count 4. */
const HEADER_BYTES = 61;
/** From attributes on: the part the CRC covers. */
const CRC_FROM = 21;

/** Bytes of a non-negative number as an unsigned varint. */
export function varintBytes(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** Kafka's record fields are zig-zag varints; every value here is ≥ -1. */
const zigzag = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

/** Writes a non-negative number as an unsigned varint at `offset`; returns the offset after it. */
export function writeVarint(buffer: Buffer, offset: number, n: number): number {
  while (n >= 0x80) {
    buffer[offset++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buffer[offset++] = n;
  return offset;
}

/**
 * A record's bytes after its length prefix: attributes, timestampDelta 0, offsetDelta, key length,
 * key, value length, value, 0 headers. `keyBytes` is -1 for no key.
 */
function recordBodyBytes(offsetDelta: number, keyBytes: number, valueBytes: number): number {
  return 2 + varintBytes(zigzag(offsetDelta)) + varintBytes(zigzag(keyBytes)) + Math.max(keyBytes, 0) + varintBytes(valueBytes * 2) + valueBytes + 1;
}

/** Grown, never shrunk: the records are written here before they are compressed. */
let scratch = Buffer.allocUnsafe(1 << 20);

/** Each record's key, value and body length in bytes, measured once before anything is written. */
interface RecordSizes {
  keyBytes: Int32Array;
  valueBytes: Int32Array;
  bodyBytes: Int32Array;
}

/** The records of a batch, uncompressed, into `target` from `offset`; returns the end offset. */
function writeRecords(records: readonly TextRecord[], sizes: RecordSizes, target: Buffer, offset: number): number {
  const { keyBytes, valueBytes, bodyBytes } = sizes;
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i]!;
    const k = keyBytes[i]!;
    const v = valueBytes[i]!;
    offset = writeVarint(target, offset, bodyBytes[i]! * 2);
    target[offset++] = 0;
    target[offset++] = 0;
    offset = writeVarint(target, offset, i * 2);
    offset = writeVarint(target, offset, zigzag(k));
    if (k > 0) offset += target.write(record.key!, offset, k, 'utf8');
    offset = writeVarint(target, offset, v * 2);
    offset += target.write(record.value, offset, v, 'utf8');
    target[offset++] = 0;
  }
  return offset;
}

export function encodeRecordBatch(records: readonly TextRecord[], identity: BatchIdentity, compression: Compression): Buffer {
  if (records.length === 0) throw new RangeError('a record batch holds at least one record');
  const keyBytes = new Int32Array(records.length);
  const valueBytes = new Int32Array(records.length);
  const bodyBytes = new Int32Array(records.length);
  let recordsBytes = 0;
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i]!;
    const k = record.key === null ? -1 : Buffer.byteLength(record.key, 'utf8');
    const v = Buffer.byteLength(record.value, 'utf8');
    keyBytes[i] = k;
    valueBytes[i] = v;
    const body = recordBodyBytes(i, k, v);
    bodyBytes[i] = body;
    recordsBytes += varintBytes(body * 2) + body;
  }

  const sizes = { keyBytes, valueBytes, bodyBytes };
  let batch: Buffer;
  if (compression === 'none') {
    batch = Buffer.allocUnsafe(HEADER_BYTES + recordsBytes);
    writeRecords(records, sizes, batch, HEADER_BYTES);
  } else {
    if (scratch.length < recordsBytes) scratch = Buffer.allocUnsafe(Math.max(recordsBytes, scratch.length * 2));
    writeRecords(records, sizes, scratch, 0);
    const plain = scratch.subarray(0, recordsBytes);
    const compressed = compression === 'snappy' ? snappyCompress(plain) : gzipSync(plain);
    batch = Buffer.allocUnsafe(HEADER_BYTES + compressed.length);
    compressed.copy(batch, HEADER_BYTES);
  }

  batch.writeBigInt64BE(0n, 0); // base offset: the broker assigns offsets
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(-1, 12); // partition leader epoch: set by the broker
  batch.writeInt8(2, 16); // magic
  batch.writeInt16BE(CODEC[compression], 21);
  batch.writeInt32BE(records.length - 1, 23); // last offset delta
  const timestamp = BigInt(identity.timestamp);
  batch.writeBigInt64BE(timestamp, 27);
  batch.writeBigInt64BE(timestamp, 35);
  batch.writeBigInt64BE(identity.producerId, 43);
  batch.writeInt16BE(identity.producerEpoch, 51);
  batch.writeInt32BE(identity.baseSequence, 53);
  batch.writeInt32BE(records.length, 57);
  batch.writeUInt32BE(crc32c(batch.subarray(CRC_FROM)) >>> 0, 17);
  return batch;
}
