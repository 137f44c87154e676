// `npm run billing -- run --period YYYY-MM [--customer ID] [--dry-run] [--force] [--json]`
// `npm run billing -- reconcile --period YYYY-MM [--customer ID] [--json]`
//
// A real run of the current or a future period needs --force (open-period.ts). reconcile compares
// Stripe, the ledger and the usage re-priced now (reconcile.ts); it exits 1 on any unexplained
// difference.
//
// When a billing service is already running (with the embedded engine, it holds the data folder),
// the run is handed to it through the admin API; otherwise the CLI opens ClickHouse itself.
import { pino } from 'pino';
import { cliHelp, ConfigError, createClickHouseClient, createStripeClient, EmbeddedClickHouseBusyError, parseCommandLine, terminalProgress, type CliSpec, type ProgressStream } from '@tollgate/platform';
import { formatMoney, loadPlansFile, parsePeriod } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { billingConfigFromEnv } from './config.ts';
import { Ledger } from './ledger.ts';
import { openPeriodRefusal } from './open-period.ts';
import { reconcilePeriod, type ReconcileResult } from './reconcile.ts';
import { runBilling, type RunOptions, type RunResult } from './run.ts';
import { WebhookOutbox } from './webhooks/outbox.ts';
import { OutboxStore } from './webhooks/store.ts';
import { StripeBilling } from './stripe-billing.ts';

const CLI: CliSpec = {
  command: 'npm run billing --',
  summary:
    'run: prices a period\'s usage and invoices it through Stripe (or, with --dry-run, only shows the drafts). reconcile: compares the period\'s Stripe invoices with the ledger and the usage re-priced now; exit 1 on any unexplained difference. Both hand the work to a running billing service when one answers at BILLING_URL.',
  positionals: 'run|reconcile',
  options: {
    period: { type: 'string', value: 'YYYY-MM', description: 'the billing period (required)' },
    customer: { type: 'string', value: 'ID', description: 'one consumer only' },
    'dry-run': { type: 'boolean', description: 'run: price and show the drafts; nothing is sent to Stripe or written to the ledger' },
    force: { type: 'boolean', description: 'run: invoice the current or a future period (refused without it)' },
    json: { type: 'boolean', description: 'print the result as JSON (no table)' },
  },
  examples: [
    'npm run billing -- run --period 2026-11 --dry-run',
    'npm run billing -- run --period 2026-11 --customer acme-1',
    'npm run billing -- reconcile --period 2026-11 --json',
  ],
  notes: ['Stripe: STRIPE_SECRET_KEY (or STRIPE_API_BASE for stripe-mock); a running service: BILLING_URL and BILLING_ADMIN_TOKENS. See the README ("Billing").'],
};
const USAGE = cliHelp(CLI);

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Where progress goes (process.stderr); written only when it is a terminal and the output is not --json. */
  progress?: ProgressStream;
}

async function runningService(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const url = env.BILLING_URL ?? `http://127.0.0.1:${env.BILLING_PORT ?? '8702'}`;
  try {
    const answer = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(1_000) });
    return answer.ok ? url : undefined;
  } catch {
    return undefined;
  }
}

function adminToken(url: string, env: NodeJS.ProcessEnv): string {
  const token = (env.BILLING_ADMIN_TOKENS ?? '').split(',')[0]?.trim();
  if (!token) {
    throw new Error(`a billing service is running at ${url} and holds the data; set BILLING_ADMIN_TOKENS to one of its admin tokens so the CLI can hand the work to it`);
  }
  return token;
}

async function reconcileThroughService(url: string, period: string, customer: string | undefined, env: NodeJS.ProcessEnv): Promise<ReconcileResult> {
  const target = new URL('/v1/admin/reconcile', url);
  target.searchParams.set('period', period);
  if (customer) target.searchParams.set('customer', customer);
  const answer = await fetch(target, { headers: { authorization: `Bearer ${adminToken(url, env)}` } });
  const body = (await answer.json()) as ReconcileResult & { message?: string };
  if (!answer.ok) throw new Error(`the billing service at ${url} answered ${answer.status}: ${body.message ?? JSON.stringify(body)}`);
  return body;
}

async function runThroughService(url: string, options: RunOptions, force: boolean, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const token = adminToken(url, env);
  const answer = await fetch(new URL('/v1/admin/runs', url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ period: options.period, ...(options.customer ? { customer: options.customer } : {}), dry_run: options.dryRun, ...(force ? { force } : {}) }),
  });
  const body = (await answer.json()) as RunResult & { message?: string };
  if (!answer.ok) throw new Error(`the billing service at ${url} answered ${answer.status}: ${body.message ?? JSON.stringify(body)}`);
  return body;
}

async function reconcileHere(period: string, customer: string | undefined, env: NodeJS.ProcessEnv): Promise<ReconcileResult> {
  const config = billingConfigFromEnv(env, { requireAdminTokens: false });
  if (!config.stripe) throw new ConfigError(['Stripe is not configured (STRIPE_SECRET_KEY or STRIPE_API_BASE): there is nothing to reconcile with']);
  const plans = await loadPlansFile(config.plansFile);
  const client = await createClickHouseClient(config.clickhouse);
  try {
    await migrate(client, config.migrations);
    const stripe = new StripeBilling(createStripeClient(config.stripe, { maxNetworkRetries: 0 }), { attempts: 6, baseMs: 200, maxMs: 5_000 });
    return await reconcilePeriod({ client, database: config.clickhouse.database, ledger: new Ledger(client, config.clickhouse.database), plans, stripe, concurrency: config.stripeConcurrency }, period, customer);
  } finally {
    await client.close();
  }
}

async function runHere(options: RunOptions, env: NodeJS.ProcessEnv, onCustomerDone: (done: number, total: number) => void): Promise<RunResult> {
  const config = billingConfigFromEnv(env, { requireAdminTokens: false });
  const plans = await loadPlansFile(config.plansFile);
  const client = await createClickHouseClient(config.clickhouse);
  const log = pino({ level: env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  try {
    await migrate(client, config.migrations);
    const stripe = config.stripe ? new StripeBilling(createStripeClient(config.stripe, { maxNetworkRetries: 0 }), { attempts: 6, baseMs: 200, maxMs: 5_000 }) : undefined;
    return await runBilling(options, { autoAdvance: config.autoAdvance, concurrency: config.stripeConcurrency }, {
      client,
      database: config.clickhouse.database,
      ledger: new Ledger(client, config.clickhouse.database),
      plans,
      stripe,
      log,
      // Emit only: the events wait in the outbox until a billing service delivers them.
      webhooks: new WebhookOutbox({ store: new OutboxStore(client, config.clickhouse.database), log }),
      onCustomerDone,
    });
  } finally {
    await client.close();
  }
}

export function formatRunTable(result: RunResult): string[] {
  const lines = [`billing run ${result.run_id} for ${result.period}${result.dry_run ? ' (dry run: nothing sent to Stripe)' : ''}`, ''];
  const row = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(14) : c.padEnd(i === 0 ? 22 : 12))).join(' ');
  lines.push(row(['customer', 'plan', 'outcome', 'amount', 'lost (5xx)']));
  for (const c of result.customers) {
    lines.push(row([c.consumer_id, c.plan_id, c.outcome, c.currency ? formatMoney(BigInt(c.amount_minor), c.currency) : '-', c.currency ? formatMoney(BigInt(c.lost_revenue_minor), c.currency) : '-']));
    for (const l of c.lines) lines.push(`    ${l.description.padEnd(48)} ${String(l.billable_units).padStart(12)} units ${formatMoney(BigInt(l.amount_minor), c.currency).padStart(14)}`);
    if (c.reason) lines.push(`    ! ${c.reason}`);
    if (c.late) lines.push(`    late usage since invoicing: ${c.late.events} events, ${formatMoney(BigInt(c.late.amount_minor), c.currency)} not billed`);
  }
  const t = result.totals;
  const money = (m: Record<string, number>) => Object.entries(m).map(([cur, v]) => formatMoney(BigInt(v), cur)).join(' + ') || '0';
  lines.push('', `customers ${t.customers}, invoices ${t.invoices}, already invoiced ${t.already_invoiced}, failures ${t.failures}, amount ${money(t.amount_minor)}, lost to failed calls ${money(t.lost_revenue_minor)}`);
  if (result.late.events > 0) lines.push(`late events for this period: ${result.late.events} from ${result.late.customers} customers, ${money(result.late.amount_minor)} not billed`);
  return lines;
}

export function formatReconcileTable(result: ReconcileResult): string[] {
  const lines = [`reconciliation of ${result.period} with Stripe`, ''];
  const row = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(14) : c.padEnd(i === 0 ? 22 : 8))).join(' ');
  lines.push(row(['customer', 'currency', 'invoiced', 'ledger', 're-priced now', 'late billed', 'late pending', 'difference']));
  for (const c of result.customers) {
    const m = (v: number) => (c.currency ? formatMoney(BigInt(v), c.currency) : String(v));
    lines.push(row([c.consumer_id, c.currency || '-', m(c.invoiced_minor), m(c.ledger_minor), m(c.repriced_minor), m(c.late_billed_minor), m(c.late_pending_minor), m(c.difference_minor)]) + (c.ok ? '' : '  UNEXPLAINED'));
    for (const note of c.notes) lines.push(`    ${c.ok ? '' : '! '}${note}`);
  }
  lines.push('', result.ok ? `no unexplained difference (${result.customers.length} customers)` : `unexplained differences for ${result.unexplained.length} customers: ${result.unexplained.join(', ')}`);
  return lines;
}

async function reconcileCli(period: string, customer: string | undefined, json: boolean, env: NodeJS.ProcessEnv, io: CliIo): Promise<number> {
  let result: ReconcileResult;
  try {
    const service = await runningService(env);
    result = service ? await reconcileThroughService(service, period, customer, env) : await reconcileHere(period, customer, env);
  } catch (error) {
    io.err(error instanceof ConfigError ? error.message : `reconciliation failed: ${(error as Error).message}`);
    return 1;
  }
  if (json) io.out(JSON.stringify(result, null, 2));
  else for (const line of formatReconcileTable(result)) io.out(line);
  return result.ok ? 0 : 1;
}

export async function runBillingCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo, now: () => Date = () => new Date()): Promise<number> {
  const parsed = parseCommandLine(CLI, argv, { log: io.out, error: io.err });
  if (!parsed.ok) return parsed.exitCode;
  const { positionals } = parsed;
  const values = {
    period: parsed.values.period as string | undefined,
    customer: parsed.values.customer as string | undefined,
    'dry-run': parsed.values['dry-run'] === true,
    force: parsed.values.force === true,
    json: parsed.values.json === true,
  };
  const command = positionals[0];
  if ((command !== 'run' && command !== 'reconcile') || !values.period || (command === 'reconcile' && (values['dry-run'] || values.force))) {
    io.err(USAGE);
    return 2;
  }
  try {
    parsePeriod(values.period);
  } catch (error) {
    io.err((error as Error).message);
    return 2;
  }
  if (command === 'reconcile') return reconcileCli(values.period, values.customer, values.json, env, io);
  const refusal = values.force ? undefined : openPeriodRefusal(values.period, values['dry-run'], now());
  if (refusal) {
    io.err(refusal);
    return 2;
  }
  const options: RunOptions = { period: values.period, dryRun: values['dry-run'], trigger: 'cli', ...(values.customer ? { customer: values.customer } : {}) };
  let result: RunResult;
  // Per customer when the CLI runs the billing itself; a run handed to a service is one request.
  const progress = terminalProgress({
    stream: io.progress ?? { write: () => true },
    quiet: values.json,
    describe: (done, total) => `${values['dry-run'] ? 'priced' : 'invoiced'} ${done}/${total} customers`,
  });
  try {
    const service = await runningService(env);
    result = service ? await runThroughService(service, options, values.force, env) : await runHere(options, env, (done, total) => progress.update(done, total));
  } catch (error) {
    progress.finish();
    if (error instanceof EmbeddedClickHouseBusyError) {
      io.err(`${error.message}.\nIf \`npm start\` is running, its billing API is the way in: set BILLING_URL to it and BILLING_ADMIN_TOKENS to its admin token.`);
    } else {
      io.err(error instanceof ConfigError ? error.message : `billing run failed: ${(error as Error).message}`);
    }
    return 1;
  }
  progress.finish();
  if (values.json) io.out(JSON.stringify(result, null, 2));
  else for (const line of formatRunTable(result)) io.out(line);
  return result.totals.failures > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  void runBillingCli(process.argv.slice(2), process.env, { out: (l) => console.log(l), err: (l) => console.error(l), progress: process.stderr }).then((code) => process.exit(code));
}
