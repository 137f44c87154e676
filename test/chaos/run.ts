// `npm run chaos`: the fault suite with its long schedule (see suite.ts), printing its report.
// Exit 0 only when nothing acknowledged was lost or duplicated, every rollup counts each event once,
// and Stripe holds one invoice per customer of the right amount after the billing lease holder's kill.
//   CHAOS_SEED (random), KAFKA_LOCAL_BROKERS (3), CHAOS_ROUNDS (3), CHAOS_GAP_MS (10000), CHAOS_PAUSE_MS (20000),
//   CHAOS_REBALANCE_TIMEOUT_MS (20000: the enrichers' ENRICHER_REBALANCE_TIMEOUT_MS)
import { REPO_ROOT } from '../harness/infra.ts';
import { formatReport, runChaos } from './suite.ts';
import { verdict } from './verdict.ts';

const env = process.env;
const seed = env.CHAOS_SEED ? Number(env.CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
const brokers = (env.KAFKA_LOCAL_BROKERS ?? '3') === '1' ? 1 : 3;
const report = await runChaos({
  seed,
  brokers,
  kafkaPort: Number(env.CHAOS_KAFKA_PORT ?? 29092),
  clickhousePort: Number(env.CHAOS_CLICKHOUSE_PORT ?? 28123),
  tapPorts: [28701, 28702],
  enrichers: 3,
  partitions: 12,
  rounds: Number(env.CHAOS_ROUNDS ?? 3),
  gapMs: Number(env.CHAOS_GAP_MS ?? 10_000),
  pauseMs: Number(env.CHAOS_PAUSE_MS ?? 20_000),
  rebalanceTimeoutMs: Number(env.CHAOS_REBALANCE_TIMEOUT_MS ?? 20_000),
  workDir: `${REPO_ROOT}.local/chaos`,
  load: { concurrency: 6, recordsPerRequest: 50, pauseMs: 20, resendShare: 0.02 },
  catchUpMs: 240_000,
  billing: { ports: [28721, 28722], customers: 12 },
  log: (line) => console.log(line),
});
for (const line of formatReport(report)) console.log(line);
const problems = verdict(report);
for (const problem of problems) console.log(`FAILED: ${problem}`);
console.log(problems.length === 0 ? 'chaos: exact: every acknowledged event stored once, one invoice per customer' : 'chaos: NOT exact');
process.exit(problems.length === 0 ? 0 : 1);
