// Scale-out on one machine, with real processes (the fault suite's harness), each case on a private
// Kafka of its own (never the shared broker):
//   1. the whole pipeline (1 tap → Kafka → 1 enricher → embedded ClickHouse) on 1 broker against
//      3 brokers (topic RF 3, min ISR 2, the tap's acks=all), same load;
//   2. tap ingest with 1 against 2 tap processes behind the round-robin client (1 broker);
//   3. enricher catch-up of the same backlog with 1 against 2 enricher processes in one group,
//      both writing through the ClickHouse stand-in (one chDB process, as a server would be).
// On a machine with two cores, shared with the brokers and ClickHouse, a second instance cannot
// add cores: cases 2 and 3 measure what running several instances costs, not a speed-up.
//   npx tsx bench/scale-out.ts [events=100000]
import { rmSync } from 'node:fs';
import { createKafka, createMissingTopics } from '@tollgate/platform';
import { groupCaughtUp } from '../test/harness/kafka.ts';
import { SteadyLoad } from '../test/harness/round-robin-load.ts';
import { clickHouseStandIn, LocalKafka, ServiceProcess, sleep } from '../test/harness/service-processes.ts';
import { REPO_ROOT } from './lib.ts';

const EVENTS = Number(process.argv[2] ?? 100_000);
const PARTITIONS = 12;
const TOKEN = 'bench-tap-token-0123456789';
const WORK = `${REPO_ROOT}.local/bench-scale-out`;
const LOGS = `${WORK}/logs`;
let caseNo = 0;

function tap(kafka: LocalKafka, topic: string, port: number, name: string): ServiceProcess {
  return new ServiceProcess(name, `${REPO_ROOT}services/tap/src/main.ts`, {
    ...process.env, KAFKA_BROKERS: kafka.brokers, TAP_PORT: String(port), TAP_TOKENS: `bench:${TOKEN}`, TAP_TOPIC: topic,
    TAP_TOPIC_PARTITIONS: String(PARTITIONS), TAP_SPOOL_DIR: `${WORK}/spool-${name}-${caseNo}`,
  }, LOGS, /tap listening/);
}

function enricher(kafka: LocalKafka, topic: string, name: string, clickhouse: Record<string, string>): ServiceProcess {
  return new ServiceProcess(name, `${REPO_ROOT}services/enricher/src/main.ts`, {
    ...process.env, ...clickhouse, KAFKA_BROKERS: kafka.brokers, ENRICHER_TOPIC: topic, ENRICHER_DLQ_TOPIC: `${topic}_dlq`,
    ENRICHER_GROUP_ID: `${topic}_group`, ENRICHER_PORT: '0', CLICKHOUSE_DATABASE: `bench_${topic}`,
  }, LOGS, /enricher consuming/);
}

async function withKafka<T>(nodes: 1 | 3, port: number, body: (kafka: LocalKafka, topic: string) => Promise<T>): Promise<T> {
  caseNo += 1;
  const kafka = new LocalKafka(nodes, port, `${WORK}/kafka-${caseNo}`);
  const topic = `scale_${caseNo}_${Date.now().toString(36)}`;
  await kafka.start();
  const admin = createKafka({ brokers: kafka.brokers.split(','), clientId: 'bench' }).admin();
  await admin.connect();
  await createMissingTopics(admin, [{ topic, partitions: PARTITIONS }, { topic: `${topic}_dlq`, partitions: 6 }], undefined);
  await admin.disconnect();
  try {
    return await body(kafka, topic);
  } finally {
    await kafka.stop();
  }
}

/** Sends EVENTS through the taps; events per second acknowledged. */
async function send(ports: number[]): Promise<number> {
  const load = new SteadyLoad({ taps: ports.map((p) => `http://127.0.0.1:${p}`), token: TOKEN, concurrency: 8, recordsPerRequest: 500, pauseMs: 0, runId: `b${caseNo}`, consumers: 50, resendShare: 0, random: Math.random });
  const t0 = performance.now();
  load.start();
  while (load.report.acknowledged.size < EVENTS) await sleep(50);
  const report = await load.stop();
  return report.acknowledged.size / ((performance.now() - t0) / 1000);
}

async function waitCaughtUp(kafka: LocalKafka, topic: string): Promise<void> {
  const client = createKafka({ brokers: kafka.brokers.split(','), clientId: 'bench' });
  while (!(await groupCaughtUp(client, topic, `${topic}_group`))) await sleep(250);
}

async function stopAll(processes: ServiceProcess[]): Promise<void> {
  await Promise.all(processes.map((p) => p.kill('SIGTERM')));
}

/** Case 1: events/s acknowledged by the tap, and end to end until the enricher committed the last. */
async function pipeline(nodes: 1 | 3, port: number): Promise<{ ingest: number; endToEnd: number }> {
  return withKafka(nodes, port, async (kafka, topic) => {
    const t = tap(kafka, topic, 28801, `tap-p${nodes}`);
    const e = enricher(kafka, topic, `enricher-p${nodes}`, { CLICKHOUSE_DATA_DIR: `${WORK}/chdb-p${nodes}` });
    await Promise.all([t.start(), e.start()]);
    try {
      const t0 = performance.now();
      const ingest = await send([28801]);
      await waitCaughtUp(kafka, topic);
      return { ingest, endToEnd: EVENTS / ((performance.now() - t0) / 1000) };
    } finally {
      await stopAll([t, e]);
    }
  });
}

/** Case 2: events/s acknowledged by 1 or 2 taps. */
async function taps(count: number): Promise<number> {
  return withKafka(1, 29420, async (kafka, topic) => {
    const ports = Array.from({ length: count }, (_, i) => 28811 + i);
    const processes = ports.map((p, i) => tap(kafka, topic, p, `tap-t${count}-${i}`));
    await Promise.all(processes.map((p) => p.start()));
    try {
      return await send(ports);
    } finally {
      await stopAll(processes);
    }
  });
}

/** Case 3: events/s of 1 or 2 enrichers catching up on a backlog of EVENTS. */
async function enrichers(count: number): Promise<number> {
  return withKafka(1, 29430, async (kafka, topic) => {
    const t = tap(kafka, topic, 28821, `tap-e${count}`);
    await t.start();
    await send([28821]);
    await stopAll([t]);
    const clickhouse = clickHouseStandIn(`${WORK}/chdb-e${count}`, 28831, LOGS);
    await clickhouse.start();
    const processes = Array.from({ length: count }, (_, i) => enricher(kafka, topic, `enricher-e${count}-${i}`, { CLICKHOUSE_URL: 'http://127.0.0.1:28831' }));
    try {
      // Migrations once, before the group starts: the clock starts when the members join.
      await processes[0]!.start();
      const t0 = performance.now();
      await Promise.all(processes.slice(1).map((p) => p.start()));
      await waitCaughtUp(kafka, topic);
      return EVENTS / ((performance.now() - t0) / 1000);
    } finally {
      await stopAll(processes);
      await clickhouse.kill('SIGTERM');
    }
  });
}

rmSync(WORK, { recursive: true, force: true });
// A failed case must not leave its services running.
process.on('exit', () => ServiceProcess.killAll());
process.on('unhandledRejection', (error) => {
  console.error(error);
  process.exit(1);
});
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`scale-out: ${fmt(EVENTS)} events per case, ${PARTITIONS} partitions, 500 records per request, 8 requests in flight`);
const one = await pipeline(1, 29400);
console.log(`pipeline, 1 broker (RF 1):             ingest ${fmt(one.ingest)} events/s, end to end ${fmt(one.endToEnd)} events/s`);
const three = await pipeline(3, 29410);
console.log(`pipeline, 3 brokers (RF 3, acks all):  ingest ${fmt(three.ingest)} events/s, end to end ${fmt(three.endToEnd)} events/s`);
const tap1 = await taps(1);
const tap2 = await taps(2);
console.log(`taps: 1 process ${fmt(tap1)} events/s, 2 processes ${fmt(tap2)} events/s (${(tap2 / tap1).toFixed(2)}x)`);
const enricher1 = await enrichers(1);
const enricher2 = await enrichers(2);
console.log(`enrichers (through the ClickHouse stand-in): 1 process ${fmt(enricher1)} events/s, 2 processes ${fmt(enricher2)} events/s (${(enricher2 / enricher1).toFixed(2)}x)`);
