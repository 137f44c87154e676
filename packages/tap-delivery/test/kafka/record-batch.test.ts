import { crc32c } from '@platformatic/wasm-utils';
import { createRecordsBatch, readRecordsBatch, Reader } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { encodeProduceRequest } from '../../src/kafka/produce-request.ts';
import { encodeRecordBatch } from '../../src/kafka/record-batch.ts';
import { recordSetOf, type PartitionRecords } from '../../src/kafka/record-set.ts';
import type { TextMessage as TextRecord } from '../../src/delivery/text-message.ts';

/** The messages, in order, as one partition's records. */
const recordsOf = (messages: TextRecord[]): PartitionRecords => recordSetOf(messages, 1).byPartition.get(0)!;

const identity = { producerId: 4_242n, producerEpoch: 3, baseSequence: 1_000, timestamp: Date.UTC(2026, 10, 26, 12) };

/** Keys and values of every size class a varint length distinguishes, and text that is not ASCII. */
function records(): TextRecord[] {
  const out: TextRecord[] = [
    { key: 'bench-consumer', value: '{"a":1}' },
    { key: null, value: 'keyless' },
    { key: '', value: '' },
    { key: 'ünïcode-kéy 🎉', value: '{"path":"/ça/va","agent":"😀 \\u0000 \\"quoted\\""}' },
    { key: 'k'.repeat(200), value: 'v'.repeat(20_000) },
  ];
  for (let i = 0; i < 300; i += 1) out.push({ key: `c-${i % 7}`, value: `{"event_id":"e-${i}","n":${i}}` });
  return out;
}

describe('record batch', () => {
  for (const compression of ['none', 'snappy', 'gzip'] as const) {
    it(`is read back record for record by @platformatic/kafka's decoder (${compression})`, () => {
      const input = records();
      const batch = encodeRecordBatch(recordsOf(input), identity, compression);
      const decoded = readRecordsBatch(Reader.from(batch));
      expect(decoded).toMatchObject({
        firstOffset: 0n,
        length: batch.length - 12,
        magic: 2,
        attributes: { none: 0, gzip: 1, snappy: 2 }[compression],
        lastOffsetDelta: input.length - 1,
        firstTimestamp: BigInt(identity.timestamp),
        maxTimestamp: BigInt(identity.timestamp),
        producerId: 4_242n,
        producerEpoch: 3,
        firstSequence: 1_000,
      });
      expect(decoded.crc).toBe(crc32c(batch.subarray(21)) >>> 0);
      expect(decoded.records).toHaveLength(input.length);
      decoded.records.forEach((record, i) => {
        expect(record.offsetDelta).toBe(i);
        expect(record.timestampDelta).toBe(0n);
        expect(record.headers).toEqual([]);
        expect(record.value?.toString('utf8')).toBe(input[i]!.value);
        const key = input[i]!.key;
        if (key === null) expect(record.key == null || record.key.length === 0).toBe(true);
        else expect(record.key?.toString('utf8')).toBe(key);
      });
    });
  }

  it('is byte for byte the batch @platformatic/kafka writes for the same messages, uncompressed', () => {
    const input = records().filter((r) => r.key !== null);
    const ours = encodeRecordBatch(recordsOf(input), identity, 'none');
    const messages = input.map((r) => ({ topic: 't', partition: 0, key: Buffer.from(r.key!), value: Buffer.from(r.value), headers: new Map(), timestamp: BigInt(identity.timestamp) }));
    const sequences = new Map([['t:0', identity.baseSequence]]) as unknown as Map<string, number> & { getWithDefault(key: string, fallback: number): number };
    sequences.getWithDefault = (key, fallback) => sequences.get(key) ?? fallback;
    const theirs = createRecordsBatch(messages, { producerId: identity.producerId, producerEpoch: identity.producerEpoch, sequences, partitionLeaderEpoch: -1 } as never).buffer;
    expect(ours.equals(theirs)).toBe(true);
  });

  it('refuses an empty batch', () => {
    expect(() => encodeRecordBatch({ bytes: Buffer.alloc(0), count: 0 }, identity, 'none')).toThrow(RangeError);
  });
});

describe('produce request', () => {
  it('frames one topic and a batch per partition as Produce v9 (compact, tagged)', () => {
    const a = encodeRecordBatch(recordsOf([{ key: 'k', value: 'v' }]), identity, 'none');
    const b = encodeRecordBatch(recordsOf([{ key: 'k2', value: 'v2' }]), { ...identity, baseSequence: 0 }, 'snappy');
    const body = Buffer.concat(encodeProduceRequest('api-requests.v1', [{ partition: 2, batch: a }, { partition: 5, batch: b }], -1, 10_000));
    let at = 0;
    const byte = () => body[at++]!;
    expect(byte()).toBe(0); // transactional id: null
    expect(body.readInt16BE(at)).toBe(-1);
    expect(body.readInt32BE(at + 2)).toBe(10_000);
    at += 6;
    expect(byte()).toBe(2); // one topic
    expect(byte()).toBe('api-requests.v1'.length + 1);
    expect(body.subarray(at, at + 15).toString()).toBe('api-requests.v1');
    at += 15;
    expect(byte()).toBe(3); // two partitions
    for (const [partition, batch] of [[2, a], [5, b]] as const) {
      expect(body.readInt32BE(at)).toBe(partition);
      at += 4;
      expect(byte()).toBe(batch.length + 1);
      expect(body.subarray(at, at + batch.length).equals(batch)).toBe(true);
      at += batch.length;
      expect(byte()).toBe(0); // the partition's tagged fields
    }
    expect(body.subarray(at)).toEqual(Buffer.of(0, 0));
  });
});
