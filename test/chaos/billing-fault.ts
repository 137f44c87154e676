// The suite's billing fault: two billing replicas (real processes, BILLING_LEASE=kafka on the
// suite's cluster) share one ledger through the ClickHouse stand-in and invoice through the
// recording Stripe proxy; both fire the schedule of a closed month at the same injected instant,
// and the replica holding the run lease is SIGKILLed once some but not all invoices exist in
// Stripe, then restarted. Each injection bills a month of its own (oldest first, the last one the
// month before the clock's), so a schedule with several rounds cuts a run each time. At the end Stripe must hold exactly one invoice per customer, each
// for the amount a dry run of the same usage priced: the lease must survive a crash of its holder
// without a second run and without a lost one.
// The usage billed is a seeded set in a database of its own (the suite's events are in the current
// month, which no run may bill yet, and its verdict counts every row of its own database).
import { createClient } from '@clickhouse/client';
import { previousPeriod, type Period } from '@tollgate/pricing';
import { REPO_ROOT, STRIPE_MOCK_URL } from '../harness/infra.ts';
import { ServiceProcess, sleep } from '../harness/service-processes.ts';
import { startStripeProxy, type StripeProxy } from '../harness/stripe-proxy.ts';
import type { Fault } from './fault.ts';

export interface BillingLeaseFaultOptions {
  kafkaBrokers: string;
  clickhouseUrl: string;
  /** The billing database, migrated before start(); apart from the suite's event database. */
  database: string;
  /** One port per replica. */
  ports: readonly [number, number];
  customers: number;
  /** How many times the fault is injected: one closed month of usage each. */
  periods: number;
  logDir: string;
  /** The run's id, so the lease topic and group are new on every run. */
  runId: string;
}

/** Stripe at the end: what the verdict demands is one invoice per customer, each of the dry run's amount. */
export interface InvoiceCheck {
  /** Customers invoiced (per period when the fault billed several). */
  customers: number;
  periods: number;
  invoices: number;
  duplicates: number;
  wrongAmounts: number;
  /** Customers with no invoice in Stripe. */
  missing: number;
  /** Invoices left as drafts (never finalized). */
  unfinalized: number;
}

export interface BillingLeaseFault extends Fault {
  /** Starts both replicas, registers the customers and prices their usage with a dry run. */
  start(): Promise<void>;
  /** Waits for the run to have finished (it is resumed by the replica that took the lease over) and reads Stripe. */
  check(timeoutMs: number): Promise<InvoiceCheck>;
  stop(): Promise<void>;
}

const ADMIN_TOKEN = 'chaos-billing-admin-0123456789';
const PLANS_FILE = `${REPO_ROOT}services/billing/test/fixtures/plans.yaml`;
const REPLICA = `${REPO_ROOT}services/billing/test/fixtures/replica.ts`;
/** The group session timeout: how long a SIGKILLed holder keeps the lease (the service's minimum). */
const LEASE_TIMEOUT_MS = 6_000;

async function until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`billing fault: timed out waiting for ${what}`);
    await sleep(100);
  }
}

export function billingLeaseFault(o: BillingLeaseFaultOptions): BillingLeaseFault {
  // Closed months, oldest first, ending with the one before the clock's; each injection's schedule
  // fires five seconds after its month ended, as the scheduler would.
  const periods: Period[] = [previousPeriod(new Date())];
  while (periods.length < o.periods) periods.unshift(previousPeriod((periods[0] as Period).start));
  let injected = 0;
  const customers = Array.from({ length: o.customers }, (_, i) => `chaos-cust-${String(i).padStart(2, '0')}`);
  const urls = o.ports.map((port) => `http://127.0.0.1:${port}`);
  const replicas: ServiceProcess[] = [];
  const replica = (port: number, i: number, stripeUrl: string) =>
      new ServiceProcess(`billing-${i + 1}`, REPLICA, {
        ...process.env,
        KAFKA_BROKERS: o.kafkaBrokers,
        CLICKHOUSE_URL: o.clickhouseUrl,
        CLICKHOUSE_DATABASE: o.database,
        BILLING_HOST: '127.0.0.1',
        BILLING_PORT: String(port),
        BILLING_ADMIN_TOKENS: ADMIN_TOKEN,
        BILLING_PLANS_FILE: PLANS_FILE,
        BILLING_SCHEDULE: 'off',
        BILLING_STRIPE_CONCURRENCY: '2',
        BILLING_REPLICAS: '2',
        BILLING_LEASE: 'kafka',
        BILLING_LEASE_TOPIC: `chaos_billing_lease_${o.runId}`,
        BILLING_LEASE_GROUP: `chaos_billing_lease_${o.runId}`,
        BILLING_LEASE_TIMEOUT_MS: String(LEASE_TIMEOUT_MS),
        STRIPE_API_BASE: stripeUrl,
        REPLICA_LOG_LEVEL: 'info',
      }, o.logDir, /"ready"/);
  let proxy: StripeProxy | undefined;
  /** `period/consumer id` → the amount (minor units) the dry run priced. */
  const expected = new Map<string, number>();

  const admin = async (path: string, init: RequestInit = {}): Promise<unknown> => {
    const response = await fetch(`${urls[0]}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers } });
    if (!response.ok) throw new Error(`billing ${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const metrics = async (i: number) => (await fetch(`${urls[i]}/metrics`)).text();
  const holds = async (i: number) => /^tollgate_billing_lease_held(\{[^}]*\})? 1$/m.test(await metrics(i));
  /** The shared ledger's word, asked of a replica that runs: the period's (non-dry) run finished. */
  const finished = async (period: string) => {
    const i = replicas.findIndex((r) => r.running);
    const response = await fetch(`${urls[i]}/v1/admin/runs?period=${period}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const { runs } = (await response.json()) as { runs: Array<{ dry_run: boolean; status: string }> };
    return runs.some((r) => !r.dry_run && r.status === 'finished');
  };
  const liveInvoices = () => [...(proxy?.state.invoices.values() ?? [])].filter((i) => !i.deleted);
  /** The replica that holds the lease, once exactly one does. */
  const holder = () =>
    until('one billing replica to hold the run lease', async () => {
      const held = [];
      for (const i of [0, 1]) if (replicas[i]?.running && (await holds(i))) held.push(i);
      return held.length === 1 ? held[0] : undefined;
    }, 60_000);

  return {
    name: 'billing-lease-holder-kill',

    async start() {
      proxy = await startStripeProxy({ upstream: process.env.STRIPE_MOCK_URL ?? STRIPE_MOCK_URL });
      const stripeUrl = proxy.url;
      replicas.push(...o.ports.map((port, i) => replica(port, i, stripeUrl)));
      const ch = createClient({ url: o.clickhouseUrl });
      try {
        // 150 + i (+ 7 a month back) calls each, on the fourth day of the period, as the enricher would have stored them.
        for (const [k, period] of periods.entries()) for (const [i, id] of customers.entries()) {
          await ch.command({
            query: `INSERT INTO ${o.database}.api_requests (event_id, ts, consumer_id, plan_id, api, method, status, status_class, billable, request_bytes, response_bytes)
                    SELECT concat({id:String}, '-', {period:String}, '-', toString(number)), toDateTime64({at:String}, 3, 'UTC') + toIntervalSecond(number), {id:String}, 'basic', 'orders', 'GET', 200, '2xx', true, 0, 0
                    FROM numbers({n:UInt64})`,
            query_params: { id, period: period.name, at: new Date(period.start.getTime() + 3 * 86_400_000).toISOString().replace('T', ' ').replace('Z', ''), n: 150 + i + 7 * (periods.length - 1 - k) },
          });
        }
      } finally {
        await ch.close();
      }
      await Promise.all(replicas.map((r) => r.start()));
      for (const id of customers) {
        await admin(`/v1/admin/consumers/${id}`, { method: 'PUT', body: JSON.stringify({ plan_id: 'basic', name: id, email: `${id}@example.test`, org_id: `org-${id}` }) });
      }
      for (const period of periods) {
        const dry = (await admin('/v1/admin/runs', { method: 'POST', body: JSON.stringify({ period: period.name, dry_run: true }) })) as { customers: Array<{ consumer_id: string; amount_minor: number }> };
        for (const c of dry.customers) expected.set(`${period.name}/${c.consumer_id}`, c.amount_minor);
      }
    },

    async inject(random) {
      const period = periods[injected];
      if (!period) throw new Error(`billing fault: injected more often than its ${periods.length} periods`);
      injected += 1;
      const firedAt = period.end.getTime() + 5_000;
      const h = await holder();
      const survivor = 1 - h;
      const [held, other] = [replicas[h] as ServiceProcess, replicas[survivor] as ServiceProcess];
      // A slow Stripe, so the run is long enough to be cut in the middle.
      proxy?.latency(40);
      for (const r of replicas) r.send(`fire ${new Date(firedAt).toISOString()}`);
      const ofPeriod = () => liveInvoices().filter((i) => i.metadata.tollgate_period === period.name).length;
      const cutAt = Math.max(1, Math.floor(customers.length * (0.2 + random() * 0.5)));
      await until('the run to be under way', async () => ofPeriod() >= cutAt, 60_000);
      await held.kill('SIGKILL');
      const created = ofPeriod();
      proxy?.latency(0);
      // The holder comes back (an orchestrator restarting it) while the survivor, once the group
      // evicted the dead holder, takes the lease, finds the period begun in the log and resumes it.
      await held.start();
      await until('the run to be finished', () => finished(period.name), 120_000);
      return `SIGKILL ${held.name} (run lease holder) billing ${period.name} with ${created} of ${customers.length} invoices created, ${other.name} took the lease over and finished the run, ${held.name} restarted`;
    },

    async check(timeoutMs) {
      // The fault waited for each run to finish; this only guards against a later fault having
      // undone that (it cannot: the ledger is shared), and gives up after timeoutMs.
      const billed = periods.slice(0, injected);
      for (const period of billed) await until(`the run of ${period.name} to be finished`, () => finished(period.name), timeoutMs).catch(() => undefined);
      const byCustomer = new Map<string, Array<{ id: string; status: string }>>();
      for (const invoice of liveInvoices()) {
        const id = `${invoice.metadata.tollgate_period ?? ''}/${invoice.metadata.tollgate_consumer_id ?? ''}`;
        byCustomer.set(id, [...(byCustomer.get(id) ?? []), { id: invoice.id, status: invoice.status }]);
      }
      const items = [...(proxy?.state.items.values() ?? [])];
      let duplicates = 0;
      let wrongAmounts = 0;
      let missing = 0;
      let unfinalized = 0;
      const due = [...expected.keys()].filter((key) => billed.some((p) => key.startsWith(`${p.name}/`)));
      for (const id of due) {
        const invoices = byCustomer.get(id) ?? [];
        if (invoices.length === 0) missing += 1;
        duplicates += Math.max(0, invoices.length - 1);
        for (const invoice of invoices) {
          const total = items.filter((i) => i.invoice === invoice.id).reduce((sum, i) => sum + i.amount, 0);
          if (total !== expected.get(id)) wrongAmounts += 1;
          if (invoice.status !== 'open') unfinalized += 1;
        }
      }
      // Invoices for anyone not priced by the dry run are wrong too.
      for (const [id, invoices] of byCustomer) if (!expected.has(id)) wrongAmounts += invoices.length;
      return { customers: customers.length, periods: billed.length, invoices: liveInvoices().length, duplicates, wrongAmounts, missing, unfinalized };
    },

    async stop() {
      await Promise.all(replicas.map((r) => r.kill('SIGKILL')));
      await proxy?.close();
    },
  };
}
