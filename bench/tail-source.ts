// The tap's file source: lines/s from a growing log file to Kafka (every line acknowledged by the
// broker), beside kcat producing the same file's lines to the same broker.
//   npx tsx bench/tail-source.ts [lines]        (default 1 000 000; needs kcat; BENCH_TAIL_FORMAT=combined or nginx runs one)
// The tap runs as its image runs it (bundle, capped heap) with TAP_TAIL_FILES naming an empty
// file; the bench then appends the lines in chunks of 10 000 as fast as it can write and measures
// from the first append until the topic holds every line. Rows: NGINX's default combined format,
// and the tollgate NGINX JSON format. kcat: `kcat -P -l` on the same finished file, once as the
// brief states it (librdkafka's defaults) and once with the tap's settings (acks=all, snappy).
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka } from '@tollgate/platform';
import { imageNodeFlags } from '../test/harness/docker-image.ts';
import { BROKER, cpuSeconds, ensureKafka, peakRssMb, REPO_ROOT, startService, stopService, table } from './lib.ts';

const lines = Number(process.argv[2] ?? 1_000_000);
const CHUNK = 10_000;
const port = 18_710;
ensureKafka();
execFileSync(process.execPath, ['deploy/build/bundle.mjs', 'services/tap/src/main.ts', 'services/tap/dist/main.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (v: number): string => String(v).padStart(2, '0');
/** Stamped in the last hour, from the clock. */
const stamp = (i: number): Date => new Date(Date.now() - 3_600_000 + (i % 3_000_000));

function combinedLine(i: number): string {
  const d = stamp(i);
  const time = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
  return `203.0.113.${i % 250} - c-${i % 997} [${time}] "GET /v1/orders/${i}?expand=items HTTP/1.1" 200 ${900 + (i % 4000)} "-" "Mozilla/5.0 (X11; Linux x86_64) bench/1.0"\n`;
}

function nginxLine(i: number): string {
  return `${JSON.stringify({
    msec: (stamp(i).getTime() / 1000).toFixed(3), time: '-', request_id: (i.toString(16).padStart(32, '0')), remote_addr: `203.0.113.${i % 250}`,
    remote_user: `c-${i % 997}`, x_forwarded_for: '-', method: 'GET', uri: `/v1/orders/${i}`, status: '200', request_length: '120',
    bytes_sent: String(900 + (i % 4000)), request_time: '0.012', upstream_response_time: '0.010', upstream_addr: '10.0.0.7:8080',
    host: 'api.example.com', server_name: 'orders', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0',
  })}\n`;
}

const admin = createKafka({ brokers: [BROKER], clientId: 'bench-tail' }).admin();
await admin.connect();
async function topicCount(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

/** kcat -P -l on the finished file into a fresh six-partition topic (as many as the tap makes): lines/s. */
async function kcat(file: string, extra: readonly string[]): Promise<number> {
  const topic = `bench-tail-kcat-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  const t0 = performance.now();
  execFileSync('kcat', ['-P', '-b', BROKER, '-t', topic, ...extra, '-l', file], { stdio: 'inherit' });
  return Math.round(lines / ((performance.now() - t0) / 1000));
}

const KCATS = [
  ['kcat -P -l (defaults)', []],
  ["kcat -P -l, acks=all snappy (the tap's settings)", ['-z', 'snappy', '-X', 'acks=all']],
] as const;
const rows: Record<string, string | number>[] = [];
const ratios: string[] = [];
for (const [format, line] of ([['combined', combinedLine], ['nginx', nginxLine]] as const).filter(([f]) => !process.env.BENCH_TAIL_FORMAT || f === process.env.BENCH_TAIL_FORMAT)) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tail-'));
  const file = join(dir, 'access.log');
  writeFileSync(file, '');
  const topic = `bench-tail-${format}-${Date.now()}`;
  const tap = await startService(
    'services/tap/dist/main.mjs',
    { NODE_OPTIONS: '', TAP_PORT: String(port), TAP_TOPIC: topic, TAP_TAIL_FILES: `${format}:${file}`, TAP_SPOOL_DIR: join(dir, 'spool'), KAFKA_BROKERS: BROKER },
    `http://127.0.0.1:${port}/readyz`,
    imageNodeFlags('tap'),
  );
  const cpuBefore = cpuSeconds(tap.pid as number);
  const t0 = performance.now();
  for (let from = 0; from < lines; from += CHUNK) {
    let text = '';
    for (let i = from; i < Math.min(lines, from + CHUNK); i += 1) text += line(i);
    appendFileSync(file, text);
  }
  const written = performance.now();
  while ((await topicCount(topic)) < lines) await new Promise((r) => setTimeout(r, 50));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (cpuSeconds(tap.pid as number) - cpuBefore) / seconds;
  const rss = peakRssMb(tap.pid as number);
  await stopService(tap);
  const tapRate = Math.round(lines / seconds);
  rows.push({ producer: `tap file source (${format})`, 'lines/s': tapRate, 'file written in s': ((written - t0) / 1000).toFixed(1), 'tap CPU (cores)': cpu.toFixed(2), 'peak RSS MB': rss });
  console.error(`  tap ${format}: ${tapRate} lines/s`);
  // Right after the tap's run, on the same file: a shared machine's load moves between runs.
  for (const [name, extra] of KCATS) {
    const kcatRate = await kcat(file, extra);
    rows.push({ producer: `${name}, ${format} file`, 'lines/s': kcatRate, 'file written in s': '-', 'tap CPU (cores)': '-', 'peak RSS MB': '-' });
    ratios.push(`tap / ${name} (${format}) = ${(tapRate / kcatRate).toFixed(2)}`);
  }
}
await admin.disconnect();
console.log(table(rows));
for (const ratio of ratios) console.log(ratio);
