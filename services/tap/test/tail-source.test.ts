// The file source end to end: lines written to a real file, the tap following it (TAP_TAIL_FILES),
// the events read back from the real broker. Every line must arrive exactly once by event id
// across rotation by rename, copytruncate and a restart, a partial line only once whole, and bad
// lines counted without stopping the file.
import { spawn } from 'node:child_process';
import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, readdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiRequestEvent } from '@tollgate/schemas';
import { readWholeTopic } from '../../../test/harness/kafka.ts';
import type { TapConfig } from '../src/config.ts';
import { startTap, type TapService } from '../src/service.ts';
import type { TailFile } from '../src/sources/tail/tail-files.ts';
import { REPO_ROOT, testKafka, testTapConfig } from './helpers.ts';

const kafka = testKafka();
const taps: TapService[] = [];
afterAll(async () => {
  for (const tap of taps) await tap.close().catch(() => undefined);
});

/** An nginx line in the tollgate format, stamped a minute ago; no $request_id: its id is derived. */
function nginxLine(n: number, requestId = ''): string {
  const msec = ((Date.now() - 60_000) / 1000).toFixed(3);
  return `${JSON.stringify({ msec, request_id: requestId, remote_addr: '203.0.113.9', method: 'GET', uri: `/v1/orders/${n}`, status: '200', request_length: '120', bytes_sent: '512', request_time: '0.012', host: 'api.example.com', server_name: 'orders' })}\n`;
}

function nginxLines(from: number, count: number): string {
  let text = '';
  for (let n = from; n < from + count; n += 1) text += nginxLine(n);
  return text;
}

/** A combined line stamped a minute ago. */
function combinedLine(n: number): string {
  const d = new Date(Date.now() - 60_000);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (v: number): string => String(v).padStart(2, '0');
  const time = `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
  return `198.51.100.7 - - [${time}] "GET /v1/orders/${n} HTTP/1.1" 200 512 "-" "curl/8.5.0"\n`;
}

interface Run {
  dir: string;
  config: TapConfig;
}

function newRun(files: (dir: string) => TailFile[]): Run {
  const dir = mkdtempSync(join(tmpdir(), 'tail-logs-'));
  const config = testTapConfig();
  config.tail = { files: files(dir), start: 'beginning', pollMs: 50 };
  return { dir, config };
}

async function startRunTap(run: Run): Promise<TapService> {
  const tap = await startTap(run.config, pino({ level: 'silent' }));
  taps.push(tap);
  return tap;
}

async function topicCount(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** The topic's events once it holds `count` messages; fails if it holds more a moment later. */
async function eventsWhen(topic: string, count: number, timeoutMs = 30_000): Promise<ApiRequestEvent[]> {
  const end = Date.now() + timeoutMs;
  let seen = await topicCount(topic);
  while (seen < count) {
    if (Date.now() > end) throw new Error(`topic ${topic} holds ${seen} of ${count} messages after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
    seen = await topicCount(topic);
  }
  await new Promise((r) => setTimeout(r, 300));
  expect(await topicCount(topic)).toBe(count);
  return (await readWholeTopic(kafka, topic)).map((m) => JSON.parse(m.value) as ApiRequestEvent);
}

/** Every expected path exactly once, each event with its own id. */
function expectExactlyOnce(events: ApiRequestEvent[], paths: string[]): void {
  expect(new Set(events.map((e) => e.event_id)).size).toBe(events.length);
  expect(events.map((e) => e.path).sort()).toEqual([...paths].sort());
}

const orders = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `/v1/orders/${from + i}`);

async function metric(tap: TapService, line: string): Promise<number> {
  const text = (await tap.app.inject({ method: 'GET', url: '/metrics' })).body;
  const found = text.split('\n').find((l) => l.startsWith(line));
  return found === undefined ? 0 : Number(found.split(' ').pop());
}

describe('tap file source (TAP_TAIL_FILES)', () => {
  it('follows a file across rotation by rename + create, reading the renamed file to its end first', async () => {
    const run = newRun((dir) => [{ format: 'nginx', path: join(dir, 'access.log') }]);
    const path = join(run.dir, 'access.log');
    writeFileSync(path, nginxLines(0, 100));
    const tap = await startRunTap(run);
    await eventsWhen(run.config.topic, 100);
    appendFileSync(path, nginxLines(100, 50));
    renameSync(path, `${path}.1`);
    // The writer goes on writing into the renamed file until it reopens its log.
    appendFileSync(`${path}.1`, nginxLines(150, 20));
    writeFileSync(path, nginxLines(170, 80));
    const events = await eventsWhen(run.config.topic, 250);
    expectExactlyOnce(events, orders(0, 250));
    expect(await metric(tap, `tollgate_tap_tail_rotations_total{file="${path}",kind="rename"`)).toBe(1);
    expect(await metric(tap, `tollgate_tap_tail_bytes_behind{file="${path}"`)).toBe(0);
  });

  it('follows a file across copytruncate, the new lines at old offsets getting new ids', async () => {
    const run = newRun((dir) => [{ format: 'combined', path: join(dir, 'access.log') }]);
    const path = join(run.dir, 'access.log');
    let first = '';
    for (let n = 0; n < 100; n += 1) first += combinedLine(n);
    writeFileSync(path, first);
    const tap = await startRunTap(run);
    await eventsWhen(run.config.topic, 100);
    copyFileSync(path, `${path}.1`);
    truncateSync(path, 0);
    await new Promise((r) => setTimeout(r, 200));
    let after = '';
    for (let n = 100; n < 160; n += 1) after += combinedLine(n);
    appendFileSync(path, after);
    // Truncated and written past the old size before the tap looked: found by the file's first bytes.
    await eventsWhen(run.config.topic, 160);
    copyFileSync(path, `${path}.2`);
    let regrown = '';
    for (let n = 160; n < 400; n += 1) regrown += combinedLine(n);
    writeFileSync(path, regrown);
    const events = await eventsWhen(run.config.topic, 400);
    expectExactlyOnce(events, orders(0, 400));
    expect(await metric(tap, `tollgate_tap_tail_rotations_total{file="${path}",kind="truncate"`)).toBe(2);
  });

  it('a restart resumes at the checkpoint; a checkpoint behind (a crash) replays lines with the ids they had', async () => {
    const run = newRun((dir) => [{ format: 'nginx', path: join(dir, 'access.log') }]);
    const path = join(run.dir, 'access.log');
    writeFileSync(path, nginxLines(0, 200));
    let tap = await startRunTap(run);
    const before = await eventsWhen(run.config.topic, 200);
    await tap.close();
    taps.splice(taps.indexOf(tap), 1);
    // Written while the tap was stopped, and a rotation on top.
    appendFileSync(path, nginxLines(200, 50));
    renameSync(path, `${path}.1`);
    writeFileSync(path, nginxLines(250, 30));
    tap = await startRunTap(run);
    expectExactlyOnce(await eventsWhen(run.config.topic, 280), orders(0, 280));
    await tap.close();
    taps.splice(taps.indexOf(tap), 1);

    // A crash after delivery but before the checkpoint moved: the checkpoint goes back to line 10.
    const folder = join(run.config.spool.dir, 'tail');
    const [file] = readdirSync(folder).filter((f) => f.endsWith('.json'));
    const checkpointFile = join(folder, file as string);
    const checkpoint = JSON.parse(readFileSync(checkpointFile, 'utf8')) as { offset: number };
    const lineBytes = Buffer.byteLength(readFileSync(path, 'utf8').split('\n')[0] as string) + 1;
    writeFileSync(checkpointFile, JSON.stringify({ ...checkpoint, offset: 10 * lineBytes }));
    await startRunTap(run);
    appendFileSync(path, nginxLines(280, 5));
    const events = await eventsWhen(run.config.topic, 280 + 20 + 5);
    const byId = new Map<string, Set<string>>();
    for (const event of events) byId.set(event.event_id, (byId.get(event.event_id) ?? new Set()).add(event.path));
    // 20 lines were sent twice, with the same ids: 285 distinct ids, one path each.
    expect(byId.size).toBe(285);
    expect([...byId.values()].every((paths) => paths.size === 1)).toBe(true);
    expect([...new Set(events.map((e) => e.path))].sort()).toEqual(orders(0, 285).sort());
    // The ids of the first run's lines did not change on replay.
    const firstIds = new Set(before.map((e) => e.event_id));
    expect(events.filter((e) => firstIds.has(e.event_id))).toHaveLength(200);
  });

  it('a tap killed (SIGKILL) mid-file and started again: every line in Kafka, a replayed line only under the id it had', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tail-kill-'));
    const path = join(dir, 'access.log');
    const total = 60_000;
    writeFileSync(path, nginxLines(0, total));
    const topic = testTapConfig().topic;
    const env = { ...process.env, TAP_TAIL_FILES: `nginx:${path}`, TAP_TOPIC: topic, TAP_TOPIC_PARTITIONS: '3', TAP_SPOOL_DIR: join(dir, 'spool'), TAP_PORT: '0', TAP_HMAC_KEY: 'test-key', LOG_LEVEL: 'warn' };
    const runTap = () => spawn(process.execPath, ['--import', 'tsx', 'services/tap/src/main.ts'], { cwd: REPO_ROOT, env, stdio: 'ignore' });
    const first = runTap();
    const exited = new Promise((r) => first.once('exit', r));
    while ((await topicCount(topic)) < 5_000) await new Promise((r) => setTimeout(r, 50));
    first.kill('SIGKILL');
    await exited;
    const atKill = await topicCount(topic);
    expect(atKill).toBeLessThan(total);
    const second = runTap();
    try {
      // Done when every line is there and nothing more arrives for a second.
      let last = -1;
      for (let count = await topicCount(topic); count < total || count !== last; count = await topicCount(topic)) {
        last = count;
        await new Promise((r) => setTimeout(r, 1_000));
      }
    } finally {
      second.kill('SIGTERM');
    }
    const events = (await readWholeTopic(kafka, topic)).map((m) => JSON.parse(m.value) as ApiRequestEvent);
    const pathsById = new Map<string, Set<string>>();
    for (const event of events) pathsById.set(event.event_id, (pathsById.get(event.event_id) ?? new Set()).add(event.path));
    expect(pathsById.size).toBe(total);
    expect([...pathsById.values()].every((paths) => paths.size === 1)).toBe(true);
    expect(new Set(events.map((e) => e.path)).size).toBe(total);
  }, 120_000);

  it('holds a partial last line until it is completed', async () => {
    const run = newRun((dir) => [{ format: 'nginx', path: join(dir, 'access.log') }]);
    const path = join(run.dir, 'access.log');
    const last = nginxLine(10, 'f'.repeat(32));
    writeFileSync(path, nginxLines(0, 10) + last.slice(0, 40));
    await startRunTap(run);
    await eventsWhen(run.config.topic, 10);
    await new Promise((r) => setTimeout(r, 500));
    expect(await topicCount(run.config.topic)).toBe(10);
    appendFileSync(path, last.slice(40));
    const events = await eventsWhen(run.config.topic, 11);
    expectExactlyOnce(events, orders(0, 11));
    // A line that carries its request id keeps it as its event id.
    expect(events.find((e) => e.path === '/v1/orders/10')?.event_id).toBe(`nginx:${'f'.repeat(32)}`);
  });

  it('counts and skips bad lines without stopping the file', async () => {
    const run = newRun((dir) => [{ format: 'nginx', path: join(dir, 'access.log') }]);
    const path = join(run.dir, 'access.log');
    writeFileSync(path, `${nginxLines(0, 5)}not json at all\n{"method":"GET"}\n{"broken":\n${nginxLines(5, 5)}`);
    const tap = await startRunTap(run);
    expectExactlyOnce(await eventsWhen(run.config.topic, 10), orders(0, 10));
    expect(await metric(tap, `tollgate_tap_tail_lines_total{file="${path}",outcome="rejected"`)).toBe(3);
    expect(await metric(tap, `tollgate_tap_tail_lines_total{file="${path}",outcome="event"`)).toBe(10);
    expect(await metric(tap, `tollgate_tap_tail_events_total{file="${path}"`)).toBe(10);
    const ready = (await tap.app.inject({ method: 'GET', url: '/readyz' })).json<{ checks: Record<string, string> }>();
    expect(ready.checks[`tail ${path}`]).toMatch(/^following at offset \d+, 0 bytes behind$/);
  });

  it('TAP_TAIL_START=end: a file without a checkpoint is shipped from its end, a partial last line included once whole', async () => {
    const run = newRun((dir) => [{ format: 'nginx', path: join(dir, 'access.log') }]);
    run.config.tail.start = 'end';
    const path = join(run.dir, 'access.log');
    const partial = nginxLine(5);
    writeFileSync(path, nginxLines(0, 5) + partial.slice(0, 30));
    await startRunTap(run);
    await new Promise((r) => setTimeout(r, 300));
    appendFileSync(path, partial.slice(30) + nginxLines(6, 3));
    expectExactlyOnce(await eventsWhen(run.config.topic, 4), orders(5, 4));
  });

  it('waits for a file that does not exist yet', async () => {
    const run = newRun((dir) => [{ format: 'combined', path: join(dir, 'later.log') }]);
    const tap = await startRunTap(run);
    const ready = (await tap.app.inject({ method: 'GET', url: '/readyz' })).json<{ checks: Record<string, string> }>();
    expect(ready.checks[`tail ${join(run.dir, 'later.log')}`]).toBe('waiting for the file to appear');
    writeFileSync(join(run.dir, 'later.log'), combinedLine(1) + combinedLine(2));
    expectExactlyOnce(await eventsWhen(run.config.topic, 2), orders(1, 2));
  });
});

describe('TAP_TAIL_FILES validation', () => {
  it('names the entry: unknown format, not line-based, relative path', () => {
    const env = { TAP_TAIL_FILES: 'nginx:/var/log/a.log,bogus:/var/log/b.log,kong:/var/log/c.log,combined:logs/d.log' };
    expect(() => testTapConfig({}, env)).toThrow(/"bogus:\/var\/log\/b\.log": unknown format "bogus"[\s\S]*"kong:\/var\/log\/c\.log": format "kong" is not line-based[\s\S]*"combined:logs\/d\.log": path "logs\/d\.log" is relative/);
    expect(testTapConfig({}, { TAP_TAIL_FILES: 'nginx:/var/log/a.log', TAP_TAIL_START: 'end' }).tail).toEqual({ files: [{ format: 'nginx', path: '/var/log/a.log' }], start: 'end', pollMs: 250 });
  });
});
