// The plugin's sink alone, without HTTP: exchanges recorded into a WorkerSink at a fixed rate,
// and the CPU that costs per event off the event loop (the worker thread, V8's helper threads) and
// in the broker. What the plugin's worker spends is what it takes from a gateway's other cores.
//   npx tsx bench/plugin-sink.ts [events/s] [seconds]
//   (BENCH_LINGER_MS: the sink's linger, 5; BENCH_COMPRESSION: snappy; BENCH_FLUSH_MS: the hand-over period, WorkerSink's default)
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Exchange } from '@tollgate/tap-plugin';
import { BROKER, buildPlugin, cpuSeconds, ensureKafka, importBuiltPlugin, REPO_ROOT, table } from './lib.ts';

const rate = Number(process.argv[2] ?? 40_000);
const seconds = Number(process.argv[3] ?? 6);
const lingerMs = Number(process.env.BENCH_LINGER_MS ?? 5);
const compression = (process.env.BENCH_COMPRESSION ?? 'snappy') as 'snappy' | 'gzip' | 'none';
const flushMs = process.env.BENCH_FLUSH_MS ? Number(process.env.BENCH_FLUSH_MS) : undefined;
ensureKafka();
const brokerPid = Number(readFileSync(`${REPO_ROOT}.local/kafka/kafka.pid`, 'utf8').trim());

// The worker as a gateway on plain node runs it: bundled, without a TypeScript loader.
buildPlugin();
const { WorkerSink } = await importBuiltPlugin();
const sink = await WorkerSink.start({
  kafka: { brokers: [BROKER], clientId: 'bench-plugin-sink' },
  transport: { topic: 'bench-plugin-sink', partitions: 6, compression }, // one topic for every run (see hello-server.ts)
  spool: { dir: mkdtempSync(join(tmpdir(), 'bench-plugin-sink-')), maxBytes: 1 << 30, segmentBytes: 64 << 20, fsync: 'always' },
  sink: { maxBatchMessages: 5_000, lingerMs, retryMs: 250, maxRetryMs: 5_000 },
  ...(flushMs === undefined ? {} : { flushEvery: { events: 5_000, ms: flushMs } }),
});

/** What the hello-world's requests record (bench/hello-server.ts), the path varying. */
function exchange(i: number): Exchange {
  const elapsed = 0.1 + (i % 7) * 0.01;
  return [null, Date.now() - elapsed, 'GET', `/hello/${i % 100}`, '/hello/:id', '127.0.0.1:18711', 200, elapsed, null, 17, '127.0.0.1', null, 'hello', null, 'bench-consumer', null, null, null, null, null];
}

async function phase(duration: number): Promise<Record<string, string | number>> {
  const offLoop = (): number => cpuSeconds(process.pid) - cpuSeconds(process.pid, process.pid);
  const [off0, broker0, delivered0] = [offLoop(), cpuSeconds(brokerPid), sink.delivered];
  const start = Date.now();
  let recorded = 0;
  while (Date.now() - start < duration * 1_000) {
    const due = ((Date.now() - start) * rate) / 1_000;
    while (recorded < due) sink.record(exchange(recorded++));
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  while (sink.pending > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  return {
    'events delivered': sink.delivered - delivered0,
    'off-loop µs/event': (((offLoop() - off0) * 1e6) / recorded).toFixed(2),
    'broker µs/event': (((cpuSeconds(brokerPid) - broker0) * 1e6) / recorded).toFixed(2),
  };
}

await phase(2); // warm-up
const rows = [];
for (let run = 0; run < 3; run += 1) rows.push({ run: run + 1, ...(await phase(seconds)) });
await sink.close();
console.log(table(rows));
console.log(`${rate} events/s for ${seconds} s a run, hand-over every ${flushMs ?? 'default'} ms, linger ${lingerMs} ms, ${compression}; dropped ${sink.dropped}`);
