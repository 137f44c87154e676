import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { pino } from 'pino';
import { createStripeClient } from '@tollgate/platform';
import { clickHouseTime } from '@tollgate/platform';
import { loadPlansFile, previousPeriod } from '@tollgate/pricing';
import { emptyConsumer, writeConsumers, type ConsumerRecord } from '@tollgate/registry';
import { startStripeProxy, type RecordedStripeRequest, type StripeProxy } from '../../../test/harness/stripe-proxy.ts';
import { STRIPE_MOCK_URL } from '../../../test/harness/infra.ts';
import { billingConfigFromEnv, type BillingConfig } from '../src/config.ts';
import { Ledger } from '../src/ledger.ts';
import { runBilling, type RunDeps, type RunOptions, type RunResult } from '../src/run.ts';
import { StripeBilling } from '../src/stripe-billing.ts';

export const PLANS_FILE = fileURLToPath(new URL('./fixtures/plans.yaml', import.meta.url));
/** The last closed month, from the clock: usage TTLs and "which period is now" follow the date. */
const closed = previousPeriod(new Date());
export const PERIOD = closed.name;
/** The month before PERIOD. */
export const PERIOD_BEFORE = previousPeriod(closed.start).name;
/** `days` days and `hours` hours into PERIOD, as ClickHouse DateTime64 text. */
export function inPeriod(days: number, hours = 0): string {
  return clickHouseTime(new Date(closed.start.getTime() + (days * 24 + hours) * 3_600_000));
}

export const ADMIN_TOKEN = 'admin-token-0123456789';

/** Billing's configuration for a test on its own embedded ClickHouse, any free port and ADMIN_TOKEN; `env` adds or overrides. */
export function testBillingConfig(ch: { dataDir: string; database: string }, env: Record<string, string>): BillingConfig {
  return billingConfigFromEnv({ ...process.env, CLICKHOUSE_DATA_DIR: ch.dataDir, CLICKHOUSE_DATABASE: ch.database, BILLING_PORT: '0', BILLING_ADMIN_TOKENS: ADMIN_TOKEN, ...env });
}

export function consumer(id: string, plan: string, over: Partial<ConsumerRecord> = {}): ConsumerRecord {
  return { ...emptyConsumer(id), org_id: `org-${id}`, name: id, email: `${id}@example.test`, plan_id: plan, ...over };
}

/**
 * n requests of one kind for one consumer inside the period, inserted into the usage table.
 * `plan` is the plan_id the enricher would have stamped (default: none, as for an unknown consumer).
 */
export async function seedUsage(
  client: ClickHouseClient,
  database: string,
  rows: Array<{ consumer: string; api: string; n: number; status?: number; method?: string; requestBytes?: number; responseBytes?: number; at?: string; billable?: boolean; plan?: string }>,
): Promise<void> {
  for (const [i, r] of rows.entries()) {
    const status = r.status ?? 200;
    await client.command({
      query: `INSERT INTO ${database}.api_requests (event_id, ts, consumer_id, plan_id, api, method, status, status_class, billable, request_bytes, response_bytes)
              SELECT concat({prefix:String}, toString(number)), toDateTime64({at:String}, 3, 'UTC') + toIntervalSecond(number % 86400),
                     {consumer:String}, {plan:String}, {api:String}, {method:String}, {status:UInt16}, {statusClass:String}, {billable:Bool},
                     {requestBytes:UInt64}, {responseBytes:UInt64}
              FROM numbers({n:UInt64})`,
      query_params: {
        prefix: `${r.consumer}-${r.api}-${i}-${Date.now()}-`,
        at: r.at ?? inPeriod(4),
        consumer: r.consumer,
        plan: r.plan ?? '',
        api: r.api,
        method: r.method ?? 'GET',
        status,
        statusClass: `${Math.floor(status / 100)}xx`,
        billable: r.billable ?? true,
        requestBytes: r.requestBytes ?? 0,
        responseBytes: r.responseBytes ?? 0,
        n: r.n,
      },
    });
  }
}

export async function seedConsumers(client: ClickHouseClient, database: string, consumers: ConsumerRecord[]): Promise<void> {
  await writeConsumers(client, database, consumers);
}

export async function startProxy(): Promise<StripeProxy> {
  return startStripeProxy({ upstream: process.env.STRIPE_MOCK_URL ?? STRIPE_MOCK_URL });
}

export async function runWithProxy(client: ClickHouseClient, database: string, proxy: StripeProxy, options: Partial<RunOptions> = {}, extra: Partial<RunDeps> = {}): Promise<RunResult> {
  const stripe = new StripeBilling(createStripeClient({ secretKey: 'sk_test_123', apiBase: new URL(proxy.url) }, { maxNetworkRetries: 0 }), { attempts: 8, baseMs: 5, maxMs: 50 });
  return runBilling(
    { period: PERIOD, dryRun: false, trigger: 'cli', ...options },
    { autoAdvance: false, concurrency: 3 },
    { client, database, ledger: new Ledger(client, database), plans: await loadPlansFile(PLANS_FILE), stripe, log: pino({ level: 'silent' }), ...extra },
  );
}

/** Created objects (first answers, not idempotent replays or injected failures), by path. */
export function creates(requests: RecordedStripeRequest[], path: RegExp): RecordedStripeRequest[] {
  return requests.filter((r) => r.method === 'POST' && path.test(r.path) && r.status === 200 && !r.injected && !r.replayed);
}
