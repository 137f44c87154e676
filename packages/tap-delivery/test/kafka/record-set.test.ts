import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../src/kafka/key-partitioner.ts';
import { readRecordsBatch, Reader } from '@platformatic/kafka';
import { encodeRecordBatch } from '../../src/kafka/record-batch.ts';
import { messagesOf, recordSetOf, RecordSetBuilder, splitRecords } from '../../src/kafka/record-set.ts';
import type { TextMessage } from '../../src/delivery/text-message.ts';

const messages = (n: number): TextMessage[] =>
  Array.from({ length: n }, (_, i) => ({ key: i % 9 === 0 ? null : `consumer-${i % 7}`, value: i % 5 === 0 ? 'v'.repeat(i * 37) : `{"n":${i},"t":"ünïcode 🎉"}` }));

describe('record set', () => {
  it('splits messages by key among the partitions, each partition in arrival order, and gives them back as they were', () => {
    const input = messages(500);
    const set = recordSetOf(input, 4);
    expect(set.count).toBe(500);
    expect([...set.byPartition.values()].reduce((n, p) => n + p.count, 0)).toBe(500);
    const back = messagesOf(set);
    for (const [partition] of set.byPartition) {
      const expected = input.filter((m) => partitionOf(m.key, m.value, 4) === partition);
      const own = messagesOf({ ...set, byPartition: new Map([[partition, set.byPartition.get(partition)!]]) });
      expect(own).toEqual(expected);
    }
    expect(back.slice().sort((a, b) => a.value.localeCompare(b.value))).toEqual(input.slice().sort((a, b) => a.value.localeCompare(b.value)));
  });

  it('a value written in place is the same record as the same message appended, whether it ran shorter than its room or not', () => {
    for (const [room, value] of [
      [10, 'short'],
      [100_000, 'short'], // its room needed longer length prefixes than the value does
      [300, 'x'.repeat(300)],
      [70_000, 'y'.repeat(20_000)],
    ] as const) {
      const inPlace = new RecordSetBuilder(1);
      const appended = new RecordSetBuilder(1);
      for (let i = 0; i < 3; i += 1) {
        const key = Buffer.from(`key-${i}`);
        const target = inPlace.startValue(0, key.length, room);
        const end = inPlace.valueAt + target.write(value, inPlace.valueAt, 'utf8');
        inPlace.endValue(key, key.length, end);
        appended.appendMessage({ key: `key-${i}`, value });
      }
      expect(inPlace.build().byPartition.get(0)!.bytes.equals(appended.build().byPartition.get(0)!.bytes)).toBe(true);
    }
  });

  it('a released builder lends its buffers to the next, which writes its own records whole', () => {
    const first = new RecordSetBuilder(2);
    for (const message of messages(300)) first.appendMessage(message);
    first.build();
    first.release();
    const second = new RecordSetBuilder(2);
    const input = messages(40).map((m) => ({ ...m, value: `${m.value}-second` }));
    for (const message of input) second.appendMessage(message);
    expect(messagesOf(second.build()).slice().sort((a, b) => a.value.localeCompare(b.value))).toEqual(input.slice().sort((a, b) => a.value.localeCompare(b.value)));
  });

  it('splits records over the byte limit into batches under it, each counting offsets from 0, the messages in order', () => {
    const input = messages(2_000);
    const records = recordSetOf(input, 1).byPartition.get(0)!;
    expect(records.bytes.length).toBeGreaterThan(150_000);
    const pieces = splitRecords(records, 50_000);
    expect(pieces.length).toBeGreaterThan(3);
    const identity = { producerId: 1n, producerEpoch: 0, baseSequence: 0, timestamp: 0 };
    const read: TextMessage[] = [];
    for (const piece of pieces) {
      // One record over the limit travels alone; the rest stay under it.
      if (piece.count > 1) expect(piece.bytes.length).toBeLessThanOrEqual(50_000);
      const batch = readRecordsBatch(Reader.from(encodeRecordBatch(piece, identity, 'none')));
      expect(batch.records.map((r) => r.offsetDelta)).toEqual(Array.from({ length: piece.count }, (_, i) => i));
      read.push(...messagesOf({ partitions: 1, count: piece.count, byPartition: new Map([[0, piece]]) }));
    }
    expect(read).toEqual(input);
    expect(splitRecords(records, records.bytes.length)).toEqual([records]);
  });
});
