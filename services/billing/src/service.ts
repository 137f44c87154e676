// Composes billing: plans, ledger, Stripe, quota book, scheduler and HTTP server. Runs and
// reconciliations take turns in one queue, so a reconciliation never reads a run half done. The ClickHouse
// client is handed in, so the one-process stack can share one embedded engine.
import type { ClickHouseClient } from '@clickhouse/client';
import { Cron } from 'croner';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import { loadCatalog } from '@tollgate/catalog';
import { createKafka, createMetricsRegistry, createStripeClient, credentialHmac, resolveCredentialHmacKey } from '@tollgate/platform';
import { loadPlansFile, previousPeriod, type PlanCatalog } from '@tollgate/pricing';
import { buildBillingApp } from './app.ts';
import type { BillingConfig } from './config.ts';
import { webhookConsumerHooks, type ConsumerHooks } from './consumer-hooks.ts';
import type { RunFence } from './lease/fence.ts';
import { KafkaRunLease } from './lease/kafka-lease.ts';
import { Ledger } from './ledger.ts';
import { compilePlanPolicies } from './policy/plan-policies.ts';
import { PolicyPoint } from './policy/policy-point.ts';
import { RateLimiter } from './policy/rate-limiter.ts';
import { QuotaBook } from './quota-book.ts';
import { reconcilePeriod, type ReconcileResult } from './reconcile.ts';
import { runBilling, type RunOptions, type RunResult } from './run.ts';
import { StripeBilling } from './stripe-billing.ts';
import { UsageAlerts } from './usage-alerts.ts';
import { WebhookEndpoints } from './webhooks/endpoints.ts';
import { WebhookOutbox } from './webhooks/outbox.ts';
import { OutboxStore } from './webhooks/store.ts';

export interface BillingService {
  app: FastifyInstance;
  url: string;
  plans: PlanCatalog;
  quota: QuotaBook;
  /** Gateway decisions (/v1/authorize). */
  policy: PolicyPoint;
  /** The webhook outbox: emit() for features that raise events, dispatchOnce() for tests. */
  webhooks: WebhookOutbox;
  /** Runs one billing run at a time, in the order asked. */
  run(options: RunOptions): Promise<RunResult>;
  /** Reconciles a period with Stripe (reconcile.ts); undefined when Stripe is not configured. */
  reconcile: ((period: string, customer?: string) => Promise<ReconcileResult>) | undefined;
  /**
   * The scheduled work for `now`, here and now: run the month before `now`'s month, then (with
   * Stripe) reconcile it: logged, and the tollgate_billing_reconcile_difference_minor gauge.
   */
  runScheduled(now?: Date): Promise<RunResult>;
  /**
   * What the schedule does when it fires at `now`: runScheduled, or with a run lease
   * (BILLING_LEASE=kafka) only on the replica that holds it, once per period; undefined where
   * this replica did not run it (another holds the lease, or the period was already run).
   */
  fireSchedule(now?: Date): Promise<RunResult | undefined>;
  /** Whether this replica holds the run lease; true without one (it runs every schedule). */
  holdsRunLease(): boolean;
  close(): Promise<void>;
}

function runMetrics(registry: Registry) {
  const runs = new Counter({ name: 'tollgate_billing_runs_total', help: 'Billing runs, by outcome', labelNames: ['dry_run', 'outcome'], registers: [registry] });
  const invoices = new Counter({ name: 'tollgate_billing_invoices_total', help: 'Invoices finalized', registers: [registry] });
  const failures = new Counter({ name: 'tollgate_billing_customer_failures_total', help: 'Customers whose invoicing failed in a run', registers: [registry] });
  const unbilled = new Gauge({ name: 'tollgate_billing_unbilled_events', help: 'Events of the period no plan could price (consumer not in the registry or plan unknown), at its latest run', labelNames: ['period'], registers: [registry] });
  const difference = new Gauge({
    name: 'tollgate_billing_reconcile_difference_minor',
    help: 'Unexplained difference between Stripe and the usage re-priced now, at the latest reconciliation of the period: sum over customers of |difference|, minor units',
    labelNames: ['period', 'currency'],
    registers: [registry],
  });
  const countReconcile = (result: ReconcileResult) => {
    const byCurrency: Record<string, number> = {};
    for (const c of result.customers) if (c.currency) byCurrency[c.currency] = (byCurrency[c.currency] ?? 0) + Math.abs(c.difference_minor);
    for (const [currency, value] of Object.entries(byCurrency)) difference.set({ period: result.period, currency }, value);
  };
  const countRun = (result: RunResult | undefined, dryRun: boolean) => {
    runs.inc({ dry_run: String(dryRun), outcome: result ? 'finished' : 'failed' });
    if (result) {
      invoices.inc(result.totals.invoices);
      failures.inc(result.totals.failures);
      unbilled.set({ period: result.period }, result.unbilled.events);
    }
  };
  return { countRun, countReconcile };
}

export async function startBilling(config: BillingConfig, client: ClickHouseClient, log: Logger = pino({ name: 'billing' }), hooks?: ConsumerHooks): Promise<BillingService> {
  const plans = await loadPlansFile(config.plansFile);
  // The enricher's catalog and the tap's HMAC key: a decision names the product the call is billed
  // under, and a presented API key matches the credential_hmac its events carry.
  const catalog = await loadCatalog(config.catalogFile);
  const hmacKey = await resolveCredentialHmacKey(config.credentialHmacKey.key, config.credentialHmacKey.file);
  const ledger = new Ledger(client, config.clickhouse.database);
  const stripe = config.stripe
    ? new StripeBilling(createStripeClient(config.stripe, { maxNetworkRetries: 0 }), { attempts: 6, baseMs: 200, maxMs: 5_000 })
    : undefined;
  const registry = createMetricsRegistry('billing');
  const { countRun, countReconcile } = runMetrics(registry);
  const outboxStore = new OutboxStore(client, config.clickhouse.database);
  const webhooks = new WebhookOutbox({ store: outboxStore, log, registry, retry: { baseMs: config.webhooks.retryBaseMs, maxMs: config.webhooks.retryMaxMs }, timeoutMs: config.webhooks.timeoutMs });
  const quota = new QuotaBook(client, config.clickhouse.database, plans, log);
  const alerts = new UsageAlerts({ client, database: config.clickhouse.database, plans, emitter: webhooks, log, meterUsageRefreshMs: config.webhooks.alertsUsageRefreshMs });
  quota.refreshed.push((now) => alerts.evaluate(quota, now));
  await quota.refresh();
  quota.startRefreshing(config.quotaRefreshMs);
  const policy = new PolicyPoint({
    book: quota,
    policies: compilePlanPolicies(plans, config.replicas),
    limiter: new RateLimiter(),
    catalog,
    keyHmac: credentialHmac(hmacKey),
    unknownConsumer: config.unknownConsumer,
  });
  webhooks.start(config.webhooks.pollMs);

  let queue: Promise<unknown> = Promise.resolve();
  const queued = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  };
  const reconcileNow = async (period: string, customer?: string): Promise<ReconcileResult> => {
    const result = await reconcilePeriod({ client, database: config.clickhouse.database, ledger, plans, stripe: stripe as StripeBilling, concurrency: config.stripeConcurrency }, period, customer);
    if (customer === undefined) countReconcile(result);
    const summary = { period: result.period, difference_minor: result.difference_minor, unexplained: result.unexplained.slice(0, 20) };
    if (result.ok) log.info(summary, 'reconciliation with Stripe: no unexplained difference');
    else log.warn({ ...summary, customers: result.customers.filter((c) => !c.ok).slice(0, 20).map((c) => ({ consumer: c.consumer_id, difference_minor: c.difference_minor, notes: c.notes })) }, 'reconciliation with Stripe: unexplained differences');
    return result;
  };
  const runNow = (options: RunOptions, fence?: RunFence): Promise<RunResult> =>
    (async () => {
      try {
        const result = await runBilling(options, { autoAdvance: config.autoAdvance, concurrency: config.stripeConcurrency }, { client, database: config.clickhouse.database, ledger, plans, stripe, log, webhooks, ...(fence ? { fence } : {}) });
        countRun(result, options.dryRun);
        log.info({ period: result.period, dry_run: result.dry_run, totals: result.totals, late: result.late, unbilled: result.unbilled }, 'billing run finished');
        if (result.unbilled.events > 0) {
          const who = result.customers.filter((c) => c.outcome === 'no_plan').map((c) => `${c.consumer_id} (${c.reason ?? ''})`);
          log.warn({ period: result.period, unbilled: result.unbilled, consumers: who.slice(0, 20) }, 'usage no plan could price is not billed: add the consumers to the registry or their plans to the plans file');
        }
        return result;
      } catch (error) {
        countRun(undefined, options.dryRun);
        throw error;
      }
    })();
  const run = (options: RunOptions): Promise<RunResult> => queued(() => runNow(options));
  const reconcile = stripe ? (period: string, customer?: string) => queued(() => reconcileNow(period, customer)) : undefined;

  // The period is taken from the moment the schedule fired, so a run at 00:00:05 on the 1st bills
  // the month that ended five seconds earlier, whatever the run's own duration.
  const scheduledWork = (period: string, resume = false, fence?: RunFence): Promise<RunResult> => {
    log.info(`scheduled billing run for ${period}`);
    return queued(async () => {
      const result = await runNow({ period, dryRun: !stripe, trigger: 'schedule', ...(resume ? { resume } : {}) }, fence);
      // The last step: a reconciliation that fails is logged, and never fails the run it follows.
      if (stripe) await reconcileNow(period).catch((error: unknown) => log.error({ err: error, period }, 'reconciliation after the scheduled run failed'));
      return result;
    });
  };
  const runScheduled = (now = new Date()): Promise<RunResult> => scheduledWork(previousPeriod(now).name);
  const leaseHeld = new Gauge({ name: 'tollgate_billing_lease_held', help: 'Whether this replica holds the billing run lease (1) or not (0); 1 without a lease', registers: [registry] });
  const lease = config.lease ? new KafkaRunLease<RunResult>(createKafka(config.lease.kafka, {}, log), { ...config.lease, replicationFactor: config.lease.kafka.replicationFactor }, scheduledWork, log, leaseHeld) : undefined;
  if (lease) await lease.start();
  else leaseHeld.set(1);
  const fireSchedule = (now = new Date()): Promise<RunResult | undefined> => (lease ? lease.schedule(previousPeriod(now).name) : runScheduled(now));
  const scheduler =
    config.schedule === 'off'
      ? undefined
      : new Cron(config.schedule, { timezone: 'UTC', protect: true }, async (job: Cron) => {
          await fireSchedule(job.currentRun() ?? new Date()).catch((error: unknown) => log.error({ err: error }, 'scheduled billing run failed'));
        });
  if (!lease && config.replicas > 1 && scheduler) log.warn('BILLING_REPLICAS > 1 with BILLING_LEASE=off: every replica runs the schedule; set BILLING_LEASE=kafka so that one run per period happens');

  const app = buildBillingApp({
    client,
    database: config.clickhouse.database,
    plans,
    ledger,
    quota,
    policy,
    adminTokens: config.adminTokens,
    consumerTokens: config.consumerTokens,
    gatewayAuth: { enabled: config.gatewayAuth, tokens: config.gatewayTokens },
    consumerHeader: config.consumerHeader,
    apiKeyHeaders: config.apiKeyHeaders,
    replicas: config.replicas,
    hmacKey,
    // Suspensions go to the webhook outbox unless the caller hands in its own hooks (tests do).
    hooks: hooks ?? webhookConsumerHooks(webhooks),
    webhookSecret: config.webhookSecret,
    webhookEndpoints: new WebhookEndpoints(outboxStore),
    webhooks,
    run,
    reconcile,
    registry,
    log,
  });
  if (!config.gatewayAuth) log.warn('BILLING_GATEWAY_AUTH=off: /v1/quota and /v1/authorize answer without a gateway credential; only for a trusted network');
  else if (config.gatewayTokens.length === 0) log.warn('BILLING_GATEWAY_TOKENS is unset: /v1/authorize refuses every call (403) and /v1/quota takes admin tokens only');
  const url = await app.listen({ host: config.host, port: config.port });
  log.info(`billing listening on ${url}; plans: ${[...plans.plans.keys()].join(', ')}; ${stripe ? 'Stripe configured' : 'no Stripe: dry runs only'}; schedule ${config.schedule}`);

  return {
    app,
    url,
    plans,
    quota,
    policy,
    webhooks,
    run,
    reconcile,
    runScheduled,
    fireSchedule,
    holdsRunLease: () => lease?.holds ?? true,
    async close() {
      scheduler?.stop();
      await app.close();
      await lease?.close();
      await queue;
      quota.stop();
      await webhooks.stop();
    },
  };
}
