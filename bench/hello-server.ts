// The server plugin-overhead.ts loads: fastify hello-world, optionally with the tap plugin.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { pino } from 'pino';
import { createKafka } from '@tollgate/platform';
import { EventSink, KafkaTransport, Spool, tollgateTap } from '@tollgate/tap';

const port = Number(process.env.HELLO_PORT ?? 18_710);
const app = Fastify();
let close = async (): Promise<void> => undefined;
if (process.env.HELLO_PLUGIN === '1') {
  const log = pino({ level: 'warn' });
  const transport = new KafkaTransport(createKafka({ brokers: [process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'], clientId: 'bench-plugin' }, {}, log), {
    topic: `bench-plugin-${Date.now()}`,
    partitions: 6,
    compression: 'snappy',
  });
  await transport.connect();
  const spool = await Spool.open({ dir: mkdtempSync(join(tmpdir(), 'bench-plugin-')), maxBytes: 1 << 30, segmentBytes: 64 << 20, fsync: 'always' });
  const sink = new EventSink(transport, spool, { maxBatchMessages: 5_000, lingerMs: 5, retryMs: 250, maxRetryMs: 5_000 }, { produced: () => undefined, spooled: () => undefined, replayed: () => undefined, state: () => undefined }, log);
  await app.register(tollgateTap, { sink, api: 'hello', consumer: () => ({ id: 'bench-consumer' }) });
  close = async () => {
    await sink.close();
    await transport.close();
  };
}
app.get('/health', async () => ({ ok: true }));
app.get('/hello/:id', async () => ({ hello: 'world' }));
await app.listen({ port, host: '127.0.0.1' });
process.on('SIGTERM', () => {
  void app.close().then(close).then(() => process.exit(0));
});
