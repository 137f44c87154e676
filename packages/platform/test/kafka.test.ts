import { afterAll, describe, expect, it } from 'vitest';
import { CompressionTypes } from 'kafkajs';
import { uniqueName } from '../../../test/harness/names.ts';
import { createKafka, kafkaSettingsFromEnv } from '../src/kafka.ts';
import { createMissingTopics } from '../src/kafka-topics.ts';

const kafka = createKafka(kafkaSettingsFromEnv(process.env, 'platform-test'));
const admin = kafka.admin();
const topic = uniqueName('kafka_roundtrip');
const created = uniqueName('kafka_created');

afterAll(async () => {
  await admin.deleteTopics({ topics: [topic, created] }).catch(() => undefined);
  await admin.disconnect();
});

describe('kafkajs against the real local broker', () => {
  it('produces 10 000 messages to a new topic and a consumer group reads exactly those back', async () => {
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(true);

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const total = 10_000;
    for (let start = 0; start < total; start += 1_000) {
      const messages = Array.from({ length: 1_000 }, (_, i) => ({ key: `k${(start + i) % 97}`, value: `m${start + i}` }));
      await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages });
    }
    await producer.disconnect();

    const seen = new Map<string, number>();
    const consumer = kafka.consumer({ groupId: uniqueName('roundtrip_group') });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachBatch: async (payload) => {
          const { batch } = payload;
          for (const message of batch.messages) {
            const value = message.value?.toString() ?? '';
            seen.set(value, (seen.get(value) ?? 0) + 1);
            payload.resolveOffset(message.offset);
          }
          await payload.heartbeat();
          if (seen.size >= total) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();

    expect(seen.size).toBe(total);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
    for (let i = 0; i < total; i += 1) expect(seen.has(`m${i}`)).toBe(true);

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(total);
  });

  it('creates a missing topic once, at the replication asked for, which the broker checks', async () => {
    await admin.connect();
    const brokers = (await admin.describeCluster()).brokers.length;
    // More replicas than brokers: the broker refuses, so the factor really travels with the request.
    await expect(createMissingTopics(admin, [{ topic: created, partitions: 2 }], brokers + 1)).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
    });
    await createMissingTopics(admin, [{ topic: created, partitions: 2 }], brokers);
    await createMissingTopics(admin, [{ topic: created, partitions: 2 }], brokers);
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [created] })).topics;
    expect(metadata?.partitions.map((p) => p.replicas.length)).toEqual([brokers, brokers]);
  });
});
