// Two billing replicas in their own processes share a run lease (BILLING_LEASE=kafka) over the
// shared broker. Their schedules fire at the same injected instant: one run, one invoice per
// customer. The holder SIGKILLed halfway: the other takes over after the lease timeout and
// finishes, still one invoice per customer. The holder paused (SIGSTOP) past its lease: the other
// finishes the run, and the paused one, resumed, stops at its next fence. Both answer
// /v1/authorize all along.
// Each replica has its own embedded ClickHouse (a copy of one seeded folder), as two replicas of
// a real deployment read one server: the lease must not depend on them sharing a ledger.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clickHouseSettingsFromEnv, createClickHouseClient } from '@tollgate/platform';
import { periodOf } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { REPO_ROOT } from '../../../../test/harness/infra.ts';
import { uniqueName } from '../../../../test/harness/names.ts';
import type { RecordedStripeRequest, StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import { consumer, creates, PERIOD, PLANS_FILE, seedConsumers, seedUsage, startProxy } from '../helpers.ts';

const customers = Array.from({ length: 12 }, (_, i) => `cust-${String(i).padStart(2, '0')}`);
const GATEWAY_TOKEN = 'gateway-token-lease-01';
// The schedule's instant: five seconds into this month, so the period is PERIOD (the month before).
const firedAt = new Date(periodOf(new Date()).start.getTime() + 5_000).toISOString();
const REPLICA = fileURLToPath(new URL('../fixtures/replica.ts', import.meta.url));
const seeded = `${REPO_ROOT}.local/test-chdb/billing-lease-${process.pid}`;
// One database per test: invoice keys are scoped by database, and the proxy replays a key it saw.
const databases = { instant: uniqueName('billing_lease_a'), takeover: uniqueName('billing_lease_b'), paused: uniqueName('billing_lease_c') };

let proxy: StripeProxy;
const running: Replica[] = [];

interface Replica {
  name: string;
  child: ChildProcessWithoutNullStreams;
  lines: Array<Record<string, unknown>>;
  url: string;
  stderr: string;
}

beforeAll(async () => {
  proxy = await startProxy();
  // One folder seeded once, copied per replica after the engine let go of it.
  const client = await createClickHouseClient(clickHouseSettingsFromEnv({ CLICKHOUSE_DATA_DIR: seeded }));
  for (const database of Object.values(databases)) {
    await migrate(client, { database, usageRetentionDays: 400 });
    await seedConsumers(client, database, customers.map((id) => consumer(id, 'basic')));
    await seedUsage(client, database, customers.map((id, i) => ({ consumer: id, api: 'orders', n: 150 + i })));
  }
  await client.close();
  for (const name of ['a', 'b']) cpSync(seeded, `${seeded}-${name}`, { recursive: true });
});
afterEach(async () => {
  for (const replica of running.splice(0)) {
    if (replica.child.exitCode === null && replica.child.signalCode === null) {
      replica.child.kill('SIGKILL');
      await new Promise((resolve) => replica.child.once('exit', resolve));
    }
  }
});
afterAll(async () => {
  await proxy.close();
  for (const dir of [seeded, `${seeded}-a`, `${seeded}-b`]) rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startReplica(name: 'a' | 'b', database: string, lease: { topic: string; group: string }): Promise<Replica> {
  const child = spawn(process.execPath, ['--import', 'tsx', REPLICA], {
    env: {
      ...process.env,
      CLICKHOUSE_DATA_DIR: `${seeded}-${name}`,
      CLICKHOUSE_DATABASE: database,
      BILLING_PORT: '0',
      BILLING_ADMIN_TOKENS: 'admin-token-lease-0123',
      BILLING_GATEWAY_TOKENS: GATEWAY_TOKEN,
      BILLING_PLANS_FILE: PLANS_FILE,
      BILLING_SCHEDULE: 'off',
      BILLING_STRIPE_CONCURRENCY: '3',
      BILLING_REPLICAS: '2',
      STRIPE_API_BASE: proxy.url,
      BILLING_LEASE: 'kafka',
      BILLING_LEASE_TOPIC: lease.topic,
      BILLING_LEASE_GROUP: lease.group,
      BILLING_LEASE_TIMEOUT_MS: '6000',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const replica: Replica = { name, child, lines: [], url: '', stderr: '' };
  running.push(replica);
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const complete = buffered.split('\n');
    buffered = complete.pop() ?? '';
    for (const line of complete) if (line.trim()) replica.lines.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr.on('data', (chunk: Buffer) => (replica.stderr += chunk.toString()));
  replica.url = await until(`replica ${name} to start`, () => {
    if (child.exitCode !== null) throw new Error(`replica ${name} exited: ${replica.stderr}`);
    return replica.lines.find((l) => l.ready)?.ready as string | undefined;
  });
  return replica;
}

const metrics = async (replica: Replica) => (await fetch(`${replica.url}/metrics`)).text();
const holds = async (replica: Replica) => /^tollgate_billing_lease_held\{[^}]*\} 1$/m.test(await metrics(replica));
const finishedRuns = async (replica: Replica) => Number(/^tollgate_billing_runs_total\{dry_run="false",outcome="finished"[^}]*\} (\d+)$/m.exec(await metrics(replica))?.[1] ?? 0);

/** The one replica that holds the lease, once the group settled on it. */
async function holderOf(replicas: Replica[]): Promise<Replica> {
  return until('one replica to hold the lease', async () => {
    const held = [];
    for (const replica of replicas) if (await holds(replica)) held.push(replica);
    return held.length === 1 ? held[0] : undefined;
  });
}

const authorize = (replica: Replica, consumerId: string) =>
  fetch(`${replica.url}/v1/authorize/orders/1`, { headers: { host: 'api.example.com', 'x-tollgate-gateway-token': GATEWAY_TOKEN, 'x-consumer-id': consumerId } });

const fire = (replicas: Replica[]) => {
  for (const replica of replicas) replica.child.stdin.write(`fire ${firedAt}\n`);
};

const meta = (r: RecordedStripeRequest) => r.params.metadata as Record<string, string>;

/** One invoice created per customer, each finalized; one invoice item per customer and line. */
function expectOneInvoicePerCustomer(requests: RecordedStripeRequest[]): void {
  const invoices = creates(requests, /^\/v1\/invoices$/);
  expect(invoices.map((r) => meta(r).tollgate_consumer_id).sort()).toEqual(customers);
  const items = creates(requests, /^\/v1\/invoiceitems$/).map((r) => `${meta(r).tollgate_consumer_id}/${meta(r).tollgate_line_key}`);
  expect(new Set(items).size).toBe(items.length);
  expect(items).toHaveLength(customers.length * 2);
  for (const invoice of invoices) {
    expect(requests.some((r) => r.path === `/v1/invoices/${invoice.responseId}/finalize` && r.status === 200)).toBe(true);
  }
}

describe('billing replicas sharing a run lease', () => {
  it('fire at the same instant: exactly one run of the period, one invoice per customer; both decide calls', async () => {
    proxy.reset();
    const lease = { topic: uniqueName('billing-lease'), group: uniqueName('billing-lease') };
    const replicas = await Promise.all([startReplica('a', databases.instant, lease), startReplica('b', databases.instant, lease)]);
    const holder = await holderOf(replicas);
    for (const replica of replicas) expect((await authorize(replica, 'cust-00')).status, replica.name).toBe(200);

    fire(replicas);
    await until('both replicas to answer the schedule', () => replicas.every((r) => r.lines.some((l) => l.fired)) || undefined);
    const ran = replicas.map((r) => r.lines.find((l) => l.fired)?.ran as { period: string; totals: { invoices: number; failures: number } } | null);
    expect(ran.filter((r) => r !== null)).toHaveLength(1);
    expect(ran[replicas.indexOf(holder)]).toMatchObject({ period: PERIOD, totals: { invoices: 12, failures: 0 } });
    expectOneInvoicePerCustomer(proxy.requests);

    // Fired again (a second scheduler tick, a restart): the log says the period is done.
    fire(replicas);
    await until('the second answers', () => replicas.every((r) => r.lines.filter((l) => l.fired).length === 2) || undefined);
    expect(replicas.map((r) => r.lines.filter((l) => l.fired)[1]?.ran)).toEqual([null, null]);
    expectOneInvoicePerCustomer(proxy.requests);
    for (const replica of replicas) expect((await authorize(replica, 'cust-01')).status, replica.name).toBe(200);
  });

  it('the holder killed halfway through the run: the other takes the lease over and finishes, one invoice per customer', async () => {
    proxy.reset();
    const lease = { topic: uniqueName('billing-lease'), group: uniqueName('billing-lease') };
    const replicas = await Promise.all([startReplica('a', databases.takeover, lease), startReplica('b', databases.takeover, lease)]);
    const holder = await holderOf(replicas);
    const other = replicas.find((r) => r !== holder) as Replica;

    proxy.latency(40);
    fire(replicas);
    await until('the holder to be halfway', () => {
      if (holder.child.exitCode !== null) throw new Error(`the holder ended before it was killed: ${holder.stderr}`);
      return creates(proxy.requests, /^\/v1\/invoiceitems$/).length >= 8 || undefined;
    });
    holder.child.kill('SIGKILL');
    await new Promise((resolve) => holder.child.once('exit', resolve));
    expect(proxy.requests.filter((r) => /\/finalize$/.test(r.path) && r.status === 200).length).toBeLessThan(12);
    proxy.latency(0);

    // The survivor had the period in mind; once the coordinator evicts the dead holder (6 s), it
    // holds the lease, finds the period begun and unfinished in the log, and resumes it.
    await until('the other replica to hold the lease and finish the run', async () => ((await holds(other)) && (await finishedRuns(other)) === 1) || undefined, 90_000);
    expectOneInvoicePerCustomer(proxy.requests);
    expect((await authorize(other, 'cust-02')).status).toBe(200);
  });

  it('the holder paused past its lease timeout: the other finishes the run, and the paused one, resumed, is fenced off', async () => {
    proxy.reset();
    const lease = { topic: uniqueName('billing-lease'), group: uniqueName('billing-lease') };
    const replicas = await Promise.all([startReplica('a', databases.paused, lease), startReplica('b', databases.paused, lease)]);
    const holder = await holderOf(replicas);
    const other = replicas.find((r) => r !== holder) as Replica;

    proxy.latency(40);
    fire(replicas);
    await until('the holder to be halfway', () => creates(proxy.requests, /^\/v1\/invoiceitems$/).length >= 8 || undefined);
    holder.child.kill('SIGSTOP');
    proxy.latency(0);
    await until('the other replica to hold the lease and finish the run', async () => ((await holds(other)) && (await finishedRuns(other)) === 1) || undefined, 90_000);
    expectOneInvoicePerCustomer(proxy.requests);
    const before = proxy.requests.length;

    // Resumed, the old holder finds no heartbeat acknowledged within its lease and stops; the
    // group tells it the partition is gone.
    holder.child.kill('SIGCONT');
    await until('the resumed replica to know it lost the lease', async () => (await holds(holder)) === false || undefined);
    expect(await finishedRuns(holder)).toBe(0);
    expect(creates(proxy.requests.slice(before), /^\/v1\/(invoices|invoiceitems)$/)).toEqual([]);
    expectOneInvoicePerCustomer(proxy.requests);
    expect(holder.stderr).toMatch(/lease (was lost|is held elsewhere)/);
  });
});
