// The body of a Kafka Produce request, version 9 (the first flexible version; brokers from 2.4 to
// 4.x accept it), for one topic: one record batch per partition. The request header is written
// by the connection.
//   Produce Request (Version: 9) => transactional_id acks timeout_ms [topic_data] TAG_BUFFER
//     topic_data => name [partition_data] TAG_BUFFER
//       partition_data => index records TAG_BUFFER
import { varintBytes, writeVarint } from './record-set.ts';

export const PRODUCE_API_KEY = 0;
export const PRODUCE_VERSION = 9;

export interface PartitionBatch {
  partition: number;
  /** An encoded record batch (record-batch.ts). */
  batch: Buffer;
}

function unsignedVarint(n: number): Buffer {
  const bytes = Buffer.allocUnsafe(varintBytes(n));
  writeVarint(bytes, 0, n);
  return bytes;
}

/** The request body as pieces, in order: the connection's writer takes them without copying. */
export function encodeProduceRequest(topic: string, batches: readonly PartitionBatch[], acks: number, timeoutMs: number): Buffer[] {
  const name = Buffer.from(topic, 'utf8');
  const parts: Buffer[] = [];
  const head = Buffer.allocUnsafe(7);
  head[0] = 0; // transactional_id: null
  head.writeInt16BE(acks, 1);
  head.writeInt32BE(timeoutMs, 3);
  // Compact arrays and strings carry their length + 1.
  parts.push(head, unsignedVarint(2), unsignedVarint(name.length + 1), name, unsignedVarint(batches.length + 1));
  for (const { partition, batch } of batches) {
    const index = Buffer.allocUnsafe(4);
    index.writeInt32BE(partition, 0);
    parts.push(index, unsignedVarint(batch.length + 1), batch, Buffer.of(0));
  }
  parts.push(Buffer.of(0, 0)); // the topic's and the request's tagged fields
  return parts;
}
