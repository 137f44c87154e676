// The transport's idempotence against the real broker: what the broker keeps when a batch is sent
// again with the same sequence numbers, and when it no longer knows the producer's sequence.
import { afterEach, describe, expect, it } from 'vitest';
import { readWholeTopic } from '../../../../test/harness/kafka.ts';
import { uniqueName } from '../../../../test/harness/names.ts';
import { KafkaTransport } from '../../src/kafka/kafka-transport.ts';
import { recordSetOf } from '../../src/kafka/record-set.ts';
import type { TextMessage } from '../../src/delivery/text-message.ts';
import { testKafka, testKafkaSettings } from '../helpers.ts';

const kafka = testKafka();
const transports: KafkaTransport[] = [];
afterEach(async () => {
  for (const transport of transports.splice(0)) await transport.close();
});

function start(compression: 'none' | 'snappy' | 'gzip' = 'snappy'): { transport: KafkaTransport; topic: string } {
  const topic = uniqueName('transport');
  const transport = new KafkaTransport(kafka, testKafkaSettings(), { topic, partitions: 4, compression });
  transports.push(transport);
  return { transport, topic };
}

function messages(from: number, n: number): TextMessage[] {
  return Array.from({ length: n }, (_, i) => ({ key: `consumer-${(from + i) % 5}`, value: JSON.stringify({ event_id: `e-${from + i}`, text: 'ünïcode 🎉' }) }));
}

/** Messages as the sink hands them over: written as records, split for the partitions the transport knows. */
const send = (transport: KafkaTransport, batch: TextMessage[]): Promise<void> => transport.send(recordSetOf(batch, transport.partitions));

/** Every key in one partition, and the keys over more than one. */
function expectSpreadByKey(read: Array<{ key: string | null; partition: number }>): void {
  const partitionsOfKey = new Map<string, Set<number>>();
  for (const m of read) partitionsOfKey.set(m.key!, (partitionsOfKey.get(m.key!) ?? new Set()).add(m.partition));
  expect([...partitionsOfKey.values()].every((p) => p.size === 1)).toBe(true);
  expect(new Set(read.map((m) => m.partition)).size).toBeGreaterThan(1);
}

/** The transport's next sequence numbers, to play a send whose acknowledgement never arrived. */
const sequencesOf = (transport: KafkaTransport): Map<number, number> => (transport as unknown as { sequences: Map<number, number> }).sequences;

describe('KafkaTransport', () => {
  for (const compression of ['none', 'snappy', 'gzip'] as const) {
    it(`delivers every message once, with its key and value, spread by key (${compression})`, async () => {
      const { transport, topic } = start(compression);
      await send(transport, messages(0, 500));
      await send(transport, messages(500, 500));
      const read = await readWholeTopic(kafka, topic);
      expect(read.map((m) => m.value).sort()).toEqual(messages(0, 1_000).map((m) => m.value).sort());
      expectSpreadByKey(read);
    });
  }

  it('records split for fewer partitions than the topic has are split again, by key, before they are sent', async () => {
    const { transport, topic } = start();
    await transport.send(recordSetOf(messages(0, 200), 1));
    const read = await readWholeTopic(kafka, topic);
    expect(read.map((m) => m.value).sort()).toEqual(messages(0, 200).map((m) => m.value).sort());
    expectSpreadByKey(read);
  });

  it("a partition's records over the broker's batch limit go out as several batches, every message once and in order", async () => {
    const { transport, topic } = start('none');
    // 4 MB for one key, uncompressed: one record batch would exceed the broker's 1 MiB limit.
    const large = Array.from({ length: 2_000 }, (_, i) => ({ key: 'one-consumer', value: JSON.stringify({ event_id: `big-${i}`, pad: 'p'.repeat(2_000) }) }));
    await send(transport, large);
    const read = await readWholeTopic(kafka, topic);
    expect(read.map((m) => (JSON.parse(m.value) as { event_id: string }).event_id)).toEqual(large.map((_, i) => `big-${i}`));
  });

  it('a batch sent again after its acknowledgement was lost is stored once', async () => {
    const { transport, topic } = start();
    await send(transport, messages(0, 10)); // the producer id and its first sequences
    const before = new Map(sequencesOf(transport));
    await send(transport, messages(10, 300));
    // As if that acknowledgement had been lost: the spool replays the batch with the same numbers.
    for (const [partition, next] of before) sequencesOf(transport).set(partition, next);
    await send(transport, messages(10, 300));
    await send(transport, messages(310, 10));
    const ids = (await readWholeTopic(kafka, topic)).map((m) => (JSON.parse(m.value) as { event_id: string }).event_id);
    expect(ids).toHaveLength(320);
    expect(new Set(ids).size).toBe(320);
  });

  it('a producer whose sequence the broker no longer accepts is replaced, and the next send is delivered', async () => {
    const { transport, topic } = start();
    await send(transport, messages(0, 10));
    for (const partition of sequencesOf(transport).keys()) sequencesOf(transport).set(partition, 1_000);
    await expect(send(transport, messages(10, 10))).rejects.toThrow();
    expect(transport.producerResets).toBe(1);
    await send(transport, messages(10, 10));
    const ids = (await readWholeTopic(kafka, topic)).map((m) => (JSON.parse(m.value) as { event_id: string }).event_id);
    expect(ids.sort()).toEqual(messages(0, 20).map((m) => (JSON.parse(m.value) as { event_id: string }).event_id).sort());
  });
});
