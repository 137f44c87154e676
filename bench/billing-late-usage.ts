// What finding late usage adds to every billing run (services/billing/src/late-usage.ts): 10 000
// customers with a finalized invoice for 2026-10 over N events ingested before that period was
// billed, then L late events for 100 of them. Measures lateAdjustments for a run of 2026-11
//  1. with no late events (the scan the ingested_at index prunes: the cost every run pays),
//  2. with the late events (that scan, plus one exact, deduplicated count of the late customers).
//   npx tsx bench/billing-late-usage.ts [events] [late events]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { billingConfigFromEnv, lateAdjustments, Ledger } from '@tollgate/billing';
import { createClickHouseClient } from '@tollgate/platform';
import { loadPlansFile, parsePeriod } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { table } from './lib.ts';

const events = Number(process.argv[2] ?? 10_000_000);
const late = Number(process.argv[3] ?? 1_000);
const customers = 10_000;
const database = `bench_late_${Date.now()}`;
const config = billingConfigFromEnv({ ...process.env, CLICKHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-late-')), CLICKHOUSE_DATABASE: database, BILLING_ADMIN_TOKENS: 'bench-admin-token-0001' });
const client = await createClickHouseClient(config.clickhouse);
await migrate(client, config.migrations);

// October's usage, ingested two days ago; its invoices and the run that made them, a day ago.
const t0 = performance.now();
await client.command({
  query: `INSERT INTO ${database}.api_requests (event_id, ts, ingested_at, consumer_id, plan_id, api, method, status, status_class, billable)
          SELECT concat('e', toString(number)), toDateTime64('2026-10-01 00:00:00', 3, 'UTC') + toIntervalSecond(number % 2678400), now64(3) - toIntervalDay(2),
                 concat('c', toString(number % ${customers})), 'starter', 'orders', 'GET', 200, '2xx', true
          FROM numbers(${events})`,
  clickhouse_settings: { max_insert_threads: '2' },
});
await client.command({ query: `OPTIMIZE TABLE ${database}.api_requests FINAL` });
await client.command({
  query: `INSERT INTO ${database}.billing_invoices (period, consumer_id, run_id, plan_id, state, stripe_invoice_id, currency, amount_minor, usage_requests, updated_at, version)
          SELECT '2026-10', consumer_id, 'bench-run', 'starter', 'finalized', concat('in_', consumer_id), 'EUR', 0, count(), now64(3) - toIntervalDay(1), 1
          FROM ${database}.api_requests GROUP BY consumer_id`,
});
await client.command({ query: `INSERT INTO ${database}.billing_runs (run_id, period, dry_run, trigger, started_at, status, summary, version) VALUES ('bench-run', '2026-10', false, 'cli', now64(3) - toIntervalDay(1), 'finished', '', 1)` });
const seedSeconds = (performance.now() - t0) / 1000;

const deps = { client, database, ledger: new Ledger(client, database), plans: await loadPlansFile(config.plansFile) };
const november = parsePeriod('2026-11');
async function measure(): Promise<{ median: number; max: number; found: number }> {
  const timings: number[] = [];
  let found = 0;
  for (let i = 0; i < 5; i += 1) {
    const t = performance.now();
    found = [...(await lateAdjustments(deps, november)).values()].flat().length;
    timings.push(performance.now() - t);
  }
  timings.sort((a, b) => a - b);
  return { median: Math.round(timings[2] ?? 0), max: Math.round(timings[4] ?? 0), found };
}

const quiet = await measure();
await client.command({
  query: `INSERT INTO ${database}.api_requests (event_id, ts, consumer_id, plan_id, api, method, status, status_class, billable)
          SELECT concat('late', toString(number)), toDateTime64('2026-10-20 00:00:00', 3, 'UTC'), concat('c', toString((number % 100) * 97)), 'starter', 'orders', 'GET', 200, '2xx', true
          FROM numbers(${late})`,
});
const withLate = await measure();
await client.close();

console.log(`seeded ${events} events for ${customers} customers, their invoices and run, in ${seedSeconds.toFixed(1)} s`);
console.log(table([
  { measure: `late-usage check of a run, ${customers} closed invoices, ${events} events, none late`, result: `median ${quiet.median} ms, max ${quiet.max} ms (${quiet.found} adjustments)` },
  { measure: `the same with ${late} late events for 100 customers`, result: `median ${withLate.median} ms, max ${withLate.max} ms (${withLate.found} adjustments)` },
]));
