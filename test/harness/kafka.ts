// Reading a whole topic back, for assertions on what really reached the broker.
import type { Kafka, KafkaMessage } from 'kafkajs';
import { uniqueName } from './names.ts';

export interface ReadMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: KafkaMessage['headers'];
}

/**
 * Every message in the topic now: the sum of the partitions' high watermarks says how many there
 * are (an idempotent producer without transactions leaves no gaps), and a fresh consumer group
 * reads until it has them all.
 */
export async function readWholeTopic(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<ReadMessage[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  if (total === 0) return [];

  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxBytes: 50 * 1024 * 1024 });
  const messages: ReadMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${messages.length} of ${total} messages from ${topic} in ${timeoutMs} ms`)), timeoutMs);
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            messages.push({
              partition: batch.partition,
              offset: m.offset,
              key: m.key?.toString() ?? null,
              value: m.value?.toString() ?? '',
              headers: m.headers,
            });
          }
          if (messages.length >= total) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

/**
 * The group has committed every partition's end with no range left half-confirmed (the enricher
 * commits an intent as offset metadata before it writes). False while the cluster does not answer.
 * (A partition emptied by retention with nothing committed would count as caught up: tests do not
 * outlive retention.)
 */
export async function groupCaughtUp(kafka: Kafka, topic: string, groupId: string): Promise<boolean> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.every((end) => {
      // A partition that never held a message has nothing to commit.
      if (end.high === end.low) return true;
      const c = committed?.partitions.find((p) => p.partition === end.partition);
      return c !== undefined && c.offset === end.high && !c.metadata;
    });
  } catch {
    return false;
  } finally {
    await admin.disconnect();
  }
}
