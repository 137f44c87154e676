// The server plugin-overhead.ts loads: fastify hello-world, optionally with the tap plugin.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { importBuiltPlugin } from './lib.ts';

const port = Number(process.env.HELLO_PORT ?? 18_710);
const app = Fastify();
let close = async (): Promise<void> => undefined;
if (process.env.HELLO_PLUGIN === '1') {
  // As a gateway on plain node runs it (plugin-overhead.ts builds it first).
  const { tollgateTap, WorkerSink } = await importBuiltPlugin();
  const sink = await WorkerSink.start({
    kafka: { brokers: [process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'], clientId: 'bench-plugin' },
    // One topic for every run: a topic per server start left hundreds of partitions whose upkeep
    // cost the broker ~5 % of a core even idle, on the core these runs measure.
    transport: { topic: 'bench-plugin', partitions: 6, compression: 'snappy' },
    spool: { dir: mkdtempSync(join(tmpdir(), 'bench-plugin-')), maxBytes: 1 << 30, segmentBytes: 64 << 20, fsync: 'always' },
    sink: { maxBatchMessages: 5_000, lingerMs: 5, retryMs: 250, maxRetryMs: 5_000 },
    // HELLO_FLUSH_MS: the hand-over period, to compare against WorkerSink's default.
    ...(process.env.HELLO_FLUSH_MS ? { flushEvery: { events: 2_000, ms: Number(process.env.HELLO_FLUSH_MS) } } : {}),
  });
  // HELLO_CONSUMERS: consumers taking turns request by request (no event repeats the previous one's).
  const consumers = Number(process.env.HELLO_CONSUMERS ?? 1);
  let served = 0;
  const consumer = consumers > 1 ? () => ({ id: `consumer-${(served += 1) % consumers}` }) : () => ({ id: 'bench-consumer' });
  await app.register(tollgateTap, { sink, api: 'hello', consumer });
  close = () => sink.close();
}
if (process.env.HELLO_PLUGIN === 'noop') {
  // The cost of having any onResponse hook at all, for comparison.
  app.addHook('onResponse', (_request, _reply, done) => done());
}
app.get('/health', async () => ({ ok: true }));
app.get('/hello/:id', async () => ({ hello: 'world' }));
await app.listen({ port, host: '127.0.0.1' });
process.on('SIGTERM', () => {
  void app.close().then(close).then(() => process.exit(0));
});
