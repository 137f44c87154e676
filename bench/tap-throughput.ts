// Tap throughput: batched NDJSON posts (1 000 events each) into one tap process, each answered
// only once Kafka acknowledged the events; beside kcat producing the same events from a file to
// the same broker. Also the tap's peak RSS under that load.
//   npx tsx bench/tap-throughput.ts [seconds]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createKafka } from '@tollgate/platform';
import { BROKER, cpuSeconds, ensureKafka, ndjsonBody, peakRssMb, startService, stopService, table } from './lib.ts';

const seconds = Number(process.argv[2] ?? 20);
/** TAP_* settings from the caller's environment pass through to the tap (e.g. TAP_COMPRESSION). */
const pick = (env: NodeJS.ProcessEnv, prefix: string): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith(prefix) && e[1] !== undefined));
const port = 18_700;
const token = 'bench-token';
const topic = `bench-tap-${Date.now()}`;
ensureKafka();

const tap = await startService(
  'services/tap/src/main.ts',
  { ...pick(process.env, 'TAP_'), NODE_OPTIONS: process.env.BENCH_TAP_NODE_OPTIONS ?? '', TAP_PORT: String(port), TAP_TOKENS: token, TAP_TOPIC: topic, TAP_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'bench-spool-')), KAFKA_BROKERS: BROKER },
  `http://127.0.0.1:${port}/readyz`,
);
const cpuBefore = cpuSeconds(tap.pid as number);
const bodies = Array.from({ length: 50 }, (_, i) => ndjsonBody(i * 1_000, 1_000));
const result = await autocannon({
  url: `http://127.0.0.1:${port}/v1/ingest/ndjson`,
  connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
  duration: seconds,
  requests: bodies.map((body) => ({ method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body })),
});
const rss = peakRssMb(tap.pid as number);
const tapCpu = (cpuSeconds(tap.pid as number) - cpuBefore) / seconds;
await stopService(tap);
const ok = result['2xx'];
const tapRate = Math.round((ok * 1_000) / seconds);

// kcat: the same events, from a file, to the same broker, acks from all replicas, same codec.
const file = join(mkdtempSync(join(tmpdir(), 'bench-kcat-')), 'events.ndjson');
const kcatEvents = 500_000;
writeFileSync(file, Array.from({ length: kcatEvents / 1_000 }, (_, i) => ndjsonBody(i * 1_000, 1_000)).join(''));
// The broker does not create topics on first use: make the same six partitions the tap made.
const admin = createKafka({ brokers: [BROKER], clientId: 'bench-kcat' }).admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: `${topic}-kcat`, numPartitions: 6 }], waitForLeaders: true });
await admin.disconnect();
const t0 = performance.now();
execFileSync('kcat', ['-P', '-b', BROKER, '-t', `${topic}-kcat`, '-z', 'snappy', '-X', 'acks=all', '-X', 'topic.metadata.refresh.interval.ms=1000', '-l', file], { stdio: 'inherit' });
const kcatSeconds = (performance.now() - t0) / 1000;
const kcatRate = Math.round(kcatEvents / kcatSeconds);

console.log(table([
  { producer: 'tap (HTTP NDJSON, 1 000/post, acked by Kafka)', 'events/s': tapRate, 'p99 post latency ms': result.latency.p99, 'non-2xx': result.non2xx, 'peak RSS MB': rss, 'tap CPU (cores)': tapCpu.toFixed(2) },
  { producer: 'kcat (file → broker, acks=all, snappy)', 'events/s': kcatRate, 'p99 post latency ms': '-', 'non-2xx': '-', 'peak RSS MB': '-', 'tap CPU (cores)': '-' },
]));
console.log(`tap / kcat = ${(tapRate / kcatRate).toFixed(2)}`);
