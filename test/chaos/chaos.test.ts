// The fault suite's CI schedule: the same suite as `npm run chaos` (suite.ts) on a private 3-broker
// cluster (RF 3, min ISR 2), two taps and three enrichers, with each kind of fault injected once
// and a shorter broker pause, so it stays well inside CI's time limit.
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/infra.ts';
import { formatReport, runChaos } from './suite.ts';
import { verdict } from './verdict.ts';

describe('fault suite (CI schedule)', () => {
  it('under broker, tap and enricher kills and a paused broker, every acknowledged event is stored exactly once', async () => {
    const seed = process.env.CHAOS_SEED ? Number(process.env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
    const report = await runChaos({
      seed,
      brokers: 3,
      // Ports of its own, apart from `npm run chaos` and the shared broker.
      kafkaPort: 29095,
      clickhousePort: 28133,
      tapPorts: [28711, 28712],
      enrichers: 3,
      partitions: 12,
      rounds: 1,
      gapMs: 3_000,
      pauseMs: 6_000,
      rebalanceTimeoutMs: 15_000,
      workDir: `${REPO_ROOT}.local/chaos-ci-${process.pid}`,
      load: { concurrency: 4, recordsPerRequest: 25, pauseMs: 20, resendShare: 0.05 },
      catchUpMs: 90_000,
      log: (line) => console.log(line),
    });
    console.log(formatReport(report).join('\n'));
    expect(report.faults.length).toBeGreaterThanOrEqual(4);
    expect(report.replication).toBe(3);
    expect(report.resent).toBeGreaterThan(0);
    expect(verdict(report)).toEqual([]);
  }, 170_000);
});
