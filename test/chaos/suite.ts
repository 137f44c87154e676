// The fault suite: steady load through several taps into a private Kafka (3 brokers, RF 3,
// min ISR 2, or 1 broker), three enrichers in one group over 12 partitions, one ClickHouse; faults
// injected in a seeded random order (the seed is printed: the same seed gives the same schedule);
// then, with every process back, every event a tap acknowledged must be stored exactly once and
// every rollup must count it once. With `billing` set, two billing replicas share a run lease and
// the holder is killed mid-run (billing-fault.ts): Stripe must hold one invoice per customer. `npm run chaos` (run.ts) and the CI test (chaos.test.ts) run it
// with a longer and a shorter schedule.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { createClickHouseClient, clickHouseSettingsFromEnv, createKafka, createMissingTopics, queryRows, seededRandom } from '@tollgate/platform';
import { REPO_ROOT } from '../harness/infra.ts';
import { groupCaughtUp } from '../harness/kafka.ts';
import { billingLeaseFault, type BillingLeaseFault, type InvoiceCheck } from './billing-fault.ts';
import type { Fault } from './fault.ts';
import { SteadyLoad } from '../harness/round-robin-load.ts';
import { clickHouseStandIn, LocalKafka, ServiceProcess, sleep } from '../harness/service-processes.ts';

const run = promisify(execFile);

export interface ChaosOptions {
  seed: number;
  brokers: 1 | 3;
  /** First broker port (controllers at +100); the private cluster's, never the shared broker's. */
  kafkaPort: number;
  clickhousePort: number;
  tapPorts: readonly number[];
  enrichers: number;
  partitions: number;
  /** Each round injects every kind of fault once, in a seeded random order. */
  rounds: number;
  /** Steady load before, between and after the faults. */
  gapMs: number;
  /** How long a broker stays paused (SIGSTOP). */
  pauseMs: number;
  /** The enrichers' ENRICHER_REBALANCE_TIMEOUT_MS: how long a member killed in a rebalance holds the group. */
  rebalanceTimeoutMs: number;
  /** Scratch folder of this run (Kafka, ClickHouse, spools, logs); emptied first. */
  workDir: string;
  load: { concurrency: number; recordsPerRequest: number; pauseMs: number; resendShare: number };
  /** Longest wait for the pipeline to store everything after the load stopped. */
  catchUpMs: number;
  /** Two billing replicas (one port each) sharing a run lease, and how many customers they invoice; unset: no billing fault. */
  billing?: { ports: readonly [number, number]; customers: number };
  /** When the run must be over (epoch ms): the catch-up gives up then, so the processes are still stopped in time. */
  deadline?: number;
  log: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  brokers: number;
  replication: number;
  acknowledged: number;
  stored: number;
  uniqueStored: number;
  lost: number;
  duplicated: number;
  /** Stored events no tap acknowledged (must be 0: every request is retried until acknowledged). */
  unexpected: number;
  /** The pipeline stored everything and the group committed every partition before the deadline. */
  caughtUp: boolean;
  rollups: Record<string, number>;
  faults: string[];
  longestStallMs: number;
  requests: number;
  retries: number;
  resent: number;
  seconds: number;
  /** Stripe after the billing fault; undefined when the suite ran without billing. */
  invoices: InvoiceCheck | undefined;
}

const TOKEN = 'chaos-tap-token-0123456789';
/** The enrichers' session timeout: a SIGKILLed member leaves the group that long after its last heartbeat. */
const ENRICHER_SESSION_TIMEOUT_MS = 6_000;
const ROLLUPS = ['usage_minute', 'usage_hour', 'usage_day', 'billing_minute', 'billing_hour', 'billing_day'];

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const began = Date.now();
  const { workDir } = options;
  const log = (line: string) => options.log(`[${((Date.now() - began) / 1000).toFixed(0).padStart(3)} s] ${line}`);
  const random = seededRandom(options.seed);
  log(`chaos: seed ${options.seed} (CHAOS_SEED=${options.seed} replays this schedule), ${options.brokers} broker(s), ${options.tapPorts.length} taps, ${options.enrichers} enrichers, ${options.partitions} partitions`);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const logDir = `${workDir}/logs`;
  const runId = `r${options.seed.toString(36)}${began.toString(36)}`;
  const topic = `chaos_${runId}`;
  const database = `chaos_${runId}`;
  const groupId = `chaos_${runId}`;

  const kafka = new LocalKafka(options.brokers, options.kafkaPort, `${workDir}/kafka`);
  const clickhouse = clickHouseStandIn(`${workDir}/chdb`, options.clickhousePort, logDir);
  const clickhouseUrl = `http://127.0.0.1:${options.clickhousePort}`;
  const common = { ...process.env, KAFKA_BROKERS: kafka.brokers, CLICKHOUSE_URL: clickhouseUrl, CLICKHOUSE_DATABASE: database, LOG_LEVEL: 'info' };
  const taps = options.tapPorts.map(
    (port, i) =>
      new ServiceProcess(`tap-${i + 1}`, `${REPO_ROOT}services/tap/src/main.ts`, {
        ...common,
        TAP_PORT: String(port),
        TAP_TOKENS: `chaos:${TOKEN}`,
        TAP_TOPIC: topic,
        TAP_TOPIC_PARTITIONS: String(options.partitions),
        TAP_SPOOL_DIR: `${workDir}/spool-${i + 1}`,
      }, logDir, /tap listening/),
  );
  const enrichers = Array.from(
    { length: options.enrichers },
    (_, i) =>
      new ServiceProcess(`enricher-${i + 1}`, `${REPO_ROOT}services/enricher/src/main.ts`, {
        ...common,
        ENRICHER_TOPIC: topic,
        ENRICHER_DLQ_TOPIC: `${topic}_dlq`,
        ENRICHER_GROUP_ID: groupId,
        ENRICHER_PORT: '0',
        ENRICHER_SESSION_TIMEOUT_MS: String(ENRICHER_SESSION_TIMEOUT_MS),
        ENRICHER_REBALANCE_TIMEOUT_MS: String(options.rebalanceTimeoutMs),
        ENRICHER_BATCH_MAX_WAIT_MS: '200',
      }, logDir, /enricher consuming/),
  );
  const client = createKafka({ brokers: kafka.brokers.split(','), clientId: 'chaos' }, { retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 3_000 } });
  const billingDatabase = `${database}_billing`;
  const billing: BillingLeaseFault | undefined = options.billing
    ? billingLeaseFault({ kafkaBrokers: kafka.brokers, clickhouseUrl, database: billingDatabase, ports: options.billing.ports, customers: options.billing.customers, periods: options.rounds, logDir, runId })
    : undefined;
  let load: SteadyLoad | undefined;
  /** Enrichers coming back in the background while the next faults go on. */
  let restarting: Promise<void>[] = [];

  try {
    log(`chaos: starting Kafka (${kafka.brokers}) and the ClickHouse stand-in`);
    const [replication] = await Promise.all([
      (async () => {
        await kafka.start();
        // The topic as the tap creates it: at the broker's default replication (KAFKA_REPLICATION_FACTOR unset).
        const admin = client.admin();
        await admin.connect();
        await createMissingTopics(admin, [{ topic, partitions: options.partitions }, { topic: `${topic}_dlq`, partitions: 6 }], undefined);
        const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
        await admin.disconnect();
        return Math.min(...(metadata.topics[0]?.partitions ?? []).map((p) => p.replicas.length));
      })(),
      (async () => {
        await clickhouse.start();
        // Once, before the enrichers: they find every migration applied.
        await run(process.execPath, ['--import', 'tsx', `${REPO_ROOT}schemas/src/migrate-cli.ts`], { cwd: REPO_ROOT, env: common });
        if (billing) await run(process.execPath, ['--import', 'tsx', `${REPO_ROOT}schemas/src/migrate-cli.ts`], { cwd: REPO_ROOT, env: { ...common, CLICKHOUSE_DATABASE: billingDatabase } });
      })(),
    ]);

    log(`chaos: starting taps and enrichers${billing ? ', and two billing replicas sharing a run lease' : ''}`);
    await Promise.all([...[...taps, ...enrichers].map((p) => p.start()), billing?.start()]);

    const leaderOfMost = async (): Promise<number> => {
      const a = client.admin();
      await a.connect();
      try {
        const [t] = (await a.fetchTopicMetadata({ topics: [topic] })).topics;
        const leads = new Map<number, number>();
        for (const p of t?.partitions ?? []) leads.set(p.leader, (leads.get(p.leader) ?? 0) + 1);
        return [...leads.entries()].sort((x, y) => y[1] - x[1])[0]?.[0] ?? 1;
      } finally {
        await a.disconnect();
      }
    };

    const faults: Fault[] = [
      {
        name: 'broker-kill',
        async inject(rnd) {
          const node = await leaderOfMost();
          await kafka.signal(node, 'SIGKILL');
          await sleep(1_000 + rnd() * 3_000);
          await kafka.startNode(node);
          return `SIGKILL broker ${node} (leader of most partitions), restarted`;
        },
      },
      {
        name: 'tap-kill',
        async inject(rnd) {
          const tap = pick(taps, rnd);
          await tap.kill('SIGKILL');
          await sleep(500 + rnd() * 1_500);
          await tap.start();
          return `SIGKILL ${tap.name} with requests in flight, restarted`;
        },
      },
      {
        name: 'enricher-rebalance-kill',
        async inject(rnd) {
          await Promise.all(restarting);
          restarting = [];
          const [first, second] = shuffle([...enrichers], rnd) as [ServiceProcess, ServiceProcess];
          await first.kill('SIGKILL');
          // Once the first's session expires the group rebalances; the second dies in the middle of it.
          const into = ENRICHER_SESSION_TIMEOUT_MS + 500 + rnd() * 1_500;
          await sleep(into);
          await second.kill('SIGKILL');
          // Both come back while the next faults go on (their start-up is awaited before the end).
          restarting.push(first.start(), second.start());
          return `SIGKILL ${first.name}, SIGKILL ${second.name} ${(into / 1000).toFixed(1)} s later during the rebalance that followed, both restarted`;
        },
      },
      {
        name: 'broker-pause',
        async inject(rnd) {
          const node = options.brokers === 1 ? 1 : 1 + Math.floor(rnd() * options.brokers);
          await kafka.signal(node, 'SIGSTOP');
          await sleep(options.pauseMs);
          await kafka.signal(node, 'SIGCONT');
          return `SIGSTOP broker ${node} for ${(options.pauseMs / 1000).toFixed(0)} s, SIGCONT`;
        },
      },
      ...(billing ? [billing] : []),
    ];

    load = new SteadyLoad({ taps: options.tapPorts.map((p) => `http://127.0.0.1:${p}`), token: TOKEN, runId, consumers: 20, random: seededRandom(options.seed + 1), ...options.load });
    load.start();
    log('chaos: load running');
    await sleep(options.gapMs);

    const injected: string[] = [];
    for (let round = 0; round < options.rounds; round += 1) {
      for (const fault of shuffle([...faults], random)) {
        const t0 = Date.now();
        const what = await fault.inject(random);
        injected.push(what);
        log(`chaos: fault ${injected.length}: ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
        await sleep(options.gapMs);
      }
    }
    await Promise.all(restarting);
    const sent = await load.stop();
    load = undefined;
    log(`chaos: load stopped: ${sent.acknowledged.size} events acknowledged in ${sent.requests} requests (${sent.retries} retried attempts, ${sent.resent} resent on purpose)`);

    const invoices = billing ? await billing.check(30_000) : undefined;
    if (invoices) log(`chaos: Stripe holds ${invoices.invoices} invoices for ${invoices.customers} customers`);

    const ch = await createClickHouseClient(clickHouseSettingsFromEnv({ CLICKHOUSE_URL: clickhouseUrl, CLICKHOUSE_DATABASE: database }));
    try {
      const deadline = Math.min(Date.now() + options.catchUpMs, options.deadline ?? Number.POSITIVE_INFINITY);
      let caughtUp = false;
      while (!caughtUp && Date.now() <= deadline) {
        const [now] = await queryRows<{ stored: string | number }>(ch, `SELECT uniqExact(event_id) AS stored FROM ${database}.api_requests`);
        caughtUp = Number(now?.stored ?? 0) >= sent.acknowledged.size && (await groupCaughtUp(client, topic, groupId));
        if (!caughtUp) await sleep(1_000);
      }
      log(caughtUp ? 'chaos: caught up' : 'chaos: not caught up by the deadline');
      const [totals] = await queryRows<Record<string, string | number>>(
        ch,
        `SELECT (SELECT count() FROM ${database}.api_requests) AS rows, (SELECT uniqExact(event_id) FROM ${database}.api_requests) AS ids,
                ${ROLLUPS.map((t) => `(SELECT sum(calls) FROM ${database}.${t}) AS ${t}`).join(', ')}`,
      );
      const ids = await queryRows<{ event_id: string }>(ch, `SELECT DISTINCT event_id FROM ${database}.api_requests`);
      const storedIds = new Set(ids.map((r) => r.event_id));
      const lost = [...sent.acknowledged].filter((id) => !storedIds.has(id)).length;
      const unexpected = [...storedIds].filter((id) => !sent.acknowledged.has(id)).length;
      const rows = Number(totals?.rows ?? 0);
      const unique = Number(totals?.ids ?? 0);
      return {
        seed: options.seed,
        brokers: options.brokers,
        replication,
        acknowledged: sent.acknowledged.size,
        stored: rows,
        uniqueStored: unique,
        lost,
        duplicated: rows - unique,
        unexpected,
        caughtUp,
        rollups: Object.fromEntries(ROLLUPS.map((t) => [t, Number(totals?.[t] ?? 0)])),
        faults: injected,
        longestStallMs: sent.longestStallMs,
        requests: sent.requests,
        retries: sent.retries,
        resent: sent.resent,
        seconds: Math.round((Date.now() - began) / 1000),
        invoices,
      };
    } finally {
      await ch.close();
    }
  } finally {
    if (load) await Promise.race([load.stop().catch(() => undefined), sleep(5_000)]);
    await billing?.stop().catch(() => undefined);
    await Promise.all([...enrichers, ...taps].map((p) => p.kill('SIGTERM').catch(() => undefined)));
    await Promise.all([...enrichers, ...taps].map((p) => p.kill('SIGKILL')));
    // A paused broker must be resumed before a controlled stop can reach it.
    for (let node = 1; node <= options.brokers; node += 1) await kafka.signal(node, 'SIGCONT').catch(() => undefined);
    await kafka.stop().catch((error: unknown) => log(`chaos: stopping Kafka: ${String(error)}`));
    await clickhouse.kill('SIGTERM');
  }
}

/** The report's lines, as `npm run chaos` prints them. */
export function formatReport(report: ChaosReport): string[] {
  return [
    `seed:                      ${report.seed}`,
    `brokers:                   ${report.brokers} (topic replication ${report.replication})`,
    `events acknowledged:       ${report.acknowledged}`,
    `events stored:             ${report.stored} (unique ${report.uniqueStored})`,
    `lost:                      ${report.lost}${report.caughtUp ? '' : ' (the pipeline had not caught up: not all of these are lost)'}`,
    `duplicated:                ${report.duplicated}`,
    `stored but never acked:    ${report.unexpected}`,
    `rollups (sum of calls):    ${Object.entries(report.rollups).map(([t, n]) => `${t} ${n}`).join(', ')}`,
    `faults injected:           ${report.faults.length}`,
    ...report.faults.map((f, i) => `  ${i + 1}. ${f}`),
    `longest stall of ingestion: ${(report.longestStallMs / 1000).toFixed(1)} s (no tap acknowledged anything)`,
    `requests:                  ${report.requests} (${report.retries} attempts retried on the next tap, ${report.resent} resent after a 202)`,
    ...(report.invoices
      ? [`invoices:                  ${report.invoices.customers} customers${report.invoices.periods === 1 ? '' : ` × ${report.invoices.periods} periods`}, ${report.invoices.invoices} invoices, duplicates ${report.invoices.duplicates}, wrong amounts ${report.invoices.wrongAmounts}, missing ${report.invoices.missing}, not finalized ${report.invoices.unfinalized}`]
      : []),
    `took:                      ${report.seconds} s`,
  ];
}
