// Kafka's v2 record batch (the on-the-wire and on-disk unit of a partition's messages) around
// records already written (record-set.ts): the header, the producer's identity and sequence, the
// records compressed as the topic's producer is configured, and the checksum.
// Layout: https://kafka.apache.org/documentation/#recordbatch
import { gzipSync } from 'node:zlib';
import { crc32c, snappyCompress } from '@platformatic/wasm-utils';
import type { PartitionRecords } from './record-set.ts';

/** The codecs the tap's producer can compress record batches with. */
export type Compression = 'gzip' | 'snappy' | 'none';

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

export function encodeRecordBatch(records: PartitionRecords, identity: BatchIdentity, compression: Compression): Buffer {
  if (records.count === 0) throw new RangeError('a record batch holds at least one record');
  let batch: Buffer;
  if (compression === 'none') {
    batch = Buffer.allocUnsafe(HEADER_BYTES + records.bytes.length);
    records.bytes.copy(batch, HEADER_BYTES);
  } else {
    const compressed = compression === 'snappy' ? snappyCompress(records.bytes) : gzipSync(records.bytes);
    batch = Buffer.allocUnsafe(HEADER_BYTES + compressed.length);
    compressed.copy(batch, HEADER_BYTES);
  }

  batch.writeBigInt64BE(0n, 0); // base offset: the broker assigns offsets
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(-1, 12); // partition leader epoch: set by the broker
  batch.writeInt8(2, 16); // magic
  batch.writeInt16BE(CODEC[compression], 21);
  batch.writeInt32BE(records.count - 1, 23); // last offset delta
  const timestamp = BigInt(identity.timestamp);
  batch.writeBigInt64BE(timestamp, 27);
  batch.writeBigInt64BE(timestamp, 35);
  batch.writeBigInt64BE(identity.producerId, 43);
  batch.writeInt16BE(identity.producerEpoch, 51);
  batch.writeInt32BE(identity.baseSequence, 53);
  batch.writeInt32BE(records.count, 57);
  batch.writeUInt32BE(crc32c(batch.subarray(CRC_FROM)) >>> 0, 17);
  return batch;
}
