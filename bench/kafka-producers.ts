// `npx tsx bench/kafka-producers.ts [messages] [batch]`: the two Node Kafka clients producing the
// tap's kind of message the way the tap does — idempotent, acks from all in-sync replicas, snappy,
// keyed by consumer, one batch in flight at a time — to the local broker. Prints messages/s and
// the process's CPU time per message (main thread and helpers). The tap produces with the faster.
import { ProduceAcks, Producer, stringSerializers } from '@platformatic/kafka';
import { CompressionTypes } from 'kafkajs';
import { createKafka } from '@tollgate/platform';
import { BROKER, ensureKafka, table } from './lib.ts';

const N = Number(process.argv[2] ?? 500_000);
const BATCH = Number(process.argv[3] ?? 5_000);
ensureKafka();
const values = Array.from({ length: N }, (_, i) =>
  JSON.stringify({
    schema: 'api-request/v1', event_id: `e-${i}`, timestamp: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
    gateway: { kind: 'kong', instance: 'k1' }, request_id: `r-${i}`, api: 'orders', method: 'GET', host: 'api.example.com',
    path: `/orders/${i}`, status: 200, request_bytes: 120, response_bytes: 3400, client_ip: '203.0.113.7', user_agent: 'curl/8.0',
    consumer: { id: `c-${i % 997}` }, latency_ms: { total: 12, upstream: 10, gateway: 2 },
  }),
);
const keys = values.map((_, i) => `c-${i % 997}`);
const kafka = createKafka({ brokers: [BROKER], clientId: 'bench-producers' });
const admin = kafka.admin();
await admin.connect();
const rows: Record<string, string | number>[] = [];

async function measure(name: string, topic: string, send: (from: number, to: number) => Promise<unknown>): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let at = 0; at < N; at += BATCH) await send(at, Math.min(N, at + BATCH));
  const seconds = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const landed = (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
  rows.push({ client: name, 'messages/s': Math.round(N / seconds), 'CPU µs/message': ((used.user + used.system) / N).toFixed(1), 'messages in topic': landed });
  await admin.deleteTopics({ topics: [topic] });
}

const stamp = Date.now();
const kafkajsProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await kafkajsProducer.connect();
await measure('kafkajs 2.2.4', `bench-kafkajs-${stamp}`, (from, to) =>
  kafkajsProducer.send({ topic: `bench-kafkajs-${stamp}`, acks: -1, compression: CompressionTypes.Snappy, messages: values.slice(from, to).map((value, j) => ({ key: keys[from + j], value })) }),
);
await kafkajsProducer.disconnect();

const platformatic = new Producer({ clientId: 'bench-producers', bootstrapBrokers: [BROKER], idempotent: true, acks: ProduceAcks.ALL, compression: 'snappy', serializers: stringSerializers, retries: 2 });
await measure('@platformatic/kafka 1.35', `bench-platformatic-${stamp}`, (from, to) =>
  platformatic.send({ messages: values.slice(from, to).map((value, j) => ({ topic: `bench-platformatic-${stamp}`, key: keys[from + j], value })) }),
);
await platformatic.close();
await admin.disconnect();
console.log(`${N.toLocaleString('en-US')} messages of ~${values[0]!.length} bytes, batches of ${BATCH.toLocaleString('en-US')}, idempotent, acks=all, snappy`);
console.log(table(rows));
