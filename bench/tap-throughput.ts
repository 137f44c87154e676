// Tap throughput: batched NDJSON posts (1 000 events each) into one tap process, each answered
// only once Kafka acknowledged the events; beside kcat producing the same events from a file to
// the same broker. Also the tap's peak RSS under that load.
//   npx tsx bench/tap-throughput.ts [seconds]
// Rows: the tap as its image runs it (bundle, capped heap, 24 MiB in flight); the same bundle with
// Node's default heap; and events whose timestamps carry an offset, which the tap must normalise
// and re-serialise (canonical lines otherwise travel to Kafka as posted).
// BENCH_TAP_FLAGS replaces the image's heap flags (node command-line flags); TAP_* settings pass through.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createKafka } from '@tollgate/platform';
import { imageEnv, imageNodeFlags } from '../test/harness/docker-image.ts';
import { BROKER, cpuSeconds, ensureKafka, ndjsonBody, peakRssMb, REPO_ROOT, startService, stopService, table } from './lib.ts';

const seconds = Number(process.argv[2] ?? 20);
const pick = (env: NodeJS.ProcessEnv, prefix: string): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[0].startsWith(prefix) && e[1] !== undefined));
const port = 18_700;
const token = 'bench-token-0123456789';
// As deploy/docker/tap.Dockerfile runs the tap (on the command line: --initial-old-space-size is
// refused in NODE_OPTIONS).
const IMAGE_FLAGS = process.env.BENCH_TAP_FLAGS?.split(' ').filter(Boolean) ?? imageNodeFlags('tap');
const IMAGE_INFLIGHT = imageEnv('tap', 'TAP_MAX_INFLIGHT_BYTES');
ensureKafka();
execFileSync(process.execPath, ['deploy/build/bundle.mjs', 'services/tap/src/main.ts', 'services/tap/dist/main.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });

const canonical = Array.from({ length: 50 }, (_, i) => ndjsonBody(i * 1_000, 1_000));
const offsetTimes = canonical.map((body) => body.replaceAll(/"timestamp":"([^"]+)Z"/g, '"timestamp":"$1+00:00"'));

interface Variant {
  name: string;
  flags: string[];
  inflight?: string;
  bodies: string[];
}
const variants: Variant[] = [
  { name: 'as the image runs it (bundle, capped heap)', flags: IMAGE_FLAGS, inflight: IMAGE_INFLIGHT, bodies: canonical },
  { name: "bundle, Node's default heap", flags: [], bodies: canonical },
  { name: 'timestamps to normalise (re-serialised), capped heap', flags: IMAGE_FLAGS, inflight: IMAGE_INFLIGHT, bodies: offsetTimes },
];

const rows: Record<string, string | number>[] = [];
for (const variant of variants) {
  const topic = `bench-tap-${Date.now()}`;
  const tap = await startService(
    'services/tap/dist/main.mjs',
    {
      ...(variant.inflight ? { TAP_MAX_INFLIGHT_BYTES: variant.inflight } : {}),
      ...pick(process.env, 'TAP_'),
      NODE_OPTIONS: '',
      TAP_PORT: String(port),
      TAP_TOKENS: token,
      TAP_TOPIC: topic,
      TAP_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'bench-spool-')),
      KAFKA_BROKERS: BROKER,
    },
    `http://127.0.0.1:${port}/readyz`,
    variant.flags,
  );
  const cpuBefore = cpuSeconds(tap.pid as number);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/v1/ingest/ndjson`,
    connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
    duration: seconds,
    requests: variant.bodies.map((body) => ({ method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body })),
  });
  const rss = peakRssMb(tap.pid as number);
  const tapCpu = (cpuSeconds(tap.pid as number) - cpuBefore) / seconds;
  await stopService(tap);
  rows.push({
    producer: `tap: ${variant.name}`,
    'node flags': variant.flags.join(' ') || '-',
    'events/s': Math.round((result['2xx'] * 1_000) / seconds),
    'p99 post latency ms': result.latency.p99,
    'non-2xx': result.non2xx,
    'peak RSS MB': rss,
    'tap CPU (cores)': tapCpu.toFixed(2),
  });
  console.error(`  ${variant.name}: ${rows.at(-1)?.['events/s']} events/s, ${rss} MB`);
}

// kcat: the same events, from a file, to the same broker, acks from all replicas, same codec.
const file = join(mkdtempSync(join(tmpdir(), 'bench-kcat-')), 'events.ndjson');
const kcatEvents = 500_000;
writeFileSync(file, Array.from({ length: kcatEvents / 1_000 }, (_, i) => ndjsonBody(i * 1_000, 1_000)).join(''));
// The broker does not create topics on first use: make the same six partitions the tap made.
const kcatTopic = `bench-kcat-${Date.now()}`;
const admin = createKafka({ brokers: [BROKER], clientId: 'bench-kcat' }).admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic: kcatTopic, numPartitions: 6 }], waitForLeaders: true });
await admin.disconnect();
const t0 = performance.now();
execFileSync('kcat', ['-P', '-b', BROKER, '-t', kcatTopic, '-z', 'snappy', '-X', 'acks=all', '-X', 'topic.metadata.refresh.interval.ms=1000', '-l', file], { stdio: 'inherit' });
const kcatRate = Math.round(kcatEvents / ((performance.now() - t0) / 1000));

rows.push({ producer: 'kcat (file → broker, acks=all, snappy)', 'node flags': '-', 'events/s': kcatRate, 'p99 post latency ms': '-', 'non-2xx': '-', 'peak RSS MB': '-', 'tap CPU (cores)': '-' });
console.log(table(rows));
console.log(`tap / kcat = ${(Number(rows[0]?.['events/s']) / kcatRate).toFixed(2)} (the tap as the image runs it)`);
