// The fault suite's CI schedule: the same suite as `npm run chaos` (suite.ts) on a private 3-broker
// cluster (RF 3, min ISR 2), two taps, three enrichers and two billing replicas, with each kind of fault injected once
// and a shorter broker pause (5 s), so it stays well inside CI's time limit: about 2 minutes on two
// free cores, most of it starting the JVMs and the TypeScript processes.
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/infra.ts';
import { LocalKafka, ServiceProcess } from '../harness/service-processes.ts';
import { formatReport, runChaos } from './suite.ts';
import { verdict } from './verdict.ts';

/** The test's own limit; the suite gives up its catch-up a minute before, so it still stops every process. */
const TIME_LIMIT_MS = 240_000;
const KAFKA_PORT = 29095;
const WORK_DIR = `${REPO_ROOT}.local/chaos-ci-${process.pid}`;

// Should the suite not reach its own cleanup (the test timed out), nothing it started outlives the file.
afterAll(async () => {
  ServiceProcess.killAll();
  const kafka = new LocalKafka(3, KAFKA_PORT, `${WORK_DIR}/kafka`);
  for (const node of [1, 2, 3]) await kafka.signal(node, 'SIGCONT').catch(() => undefined);
  await kafka.stop();
});

describe('fault suite (CI schedule)', () => {
  it('under broker, tap, enricher and billing lease holder kills and a paused broker, every acknowledged event is stored exactly once and Stripe holds one invoice per customer', async () => {
    const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
    const deadline = Date.now() + TIME_LIMIT_MS - 60_000;
    const report = await runChaos({
      seed,
      brokers: 3,
      // Ports of its own, apart from `npm run chaos` and the shared broker.
      kafkaPort: KAFKA_PORT,
      clickhousePort: 28133,
      tapPorts: [28711, 28712],
      enrichers: 3,
      partitions: 12,
      rounds: 1,
      gapMs: 2_000,
      pauseMs: 5_000,
      rebalanceTimeoutMs: 20_000,
      workDir: WORK_DIR,
      load: { concurrency: 4, recordsPerRequest: 25, pauseMs: 20, resendShare: 0.05 },
      catchUpMs: 90_000,
      billing: { ports: [28731, 28732], customers: 8 },
      deadline,
      log: (line) => console.log(line),
    });
    console.log(formatReport(report).join('\n'));
    expect(report.faults.length).toBeGreaterThanOrEqual(5);
    expect(report.replication).toBe(3);
    expect(report.resent).toBeGreaterThan(0);
    expect(verdict(report)).toEqual([]);
  }, TIME_LIMIT_MS);
});
