// Outgoing webhooks end to end on the embedded engine: endpoints through the admin API, usage
// alerts crossed across several refreshes and service restarts, a suspension, a payment failure from Stripe's
// webhook and a finalized invoice from a run, delivered to a receiver that is down for a stretch
// and answers 500 to every other request. Every event is delivered, to every endpoint it targets,
// with a valid signature, and no crossing is emitted twice. Backoff is shortened by configuration
// (BILLING_WEBHOOK_RETRY_BASE_MS); the 72-hour give-up runs on an injected clock.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { specCheckedInject } from '@tollgate/platform/testing';
import type { Env } from '@tollgate/platform';
import { clickHouseTime } from '@tollgate/platform';
import { periodOf } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import type { StripeProxy } from '../../../../test/harness/stripe-proxy.ts';
import { billingConfigFromEnv } from '../../src/config.ts';
import { startBilling, type BillingService } from '../../src/service.ts';
import { DEFAULT_RETRY_POLICY } from '../../src/webhooks/backoff.ts';
import { WebhookEndpoints } from '../../src/webhooks/endpoints.ts';
import { WebhookOutbox } from '../../src/webhooks/outbox.ts';
import { verifySignature } from '../../src/webhooks/signature.ts';
import { OutboxStore } from '../../src/webhooks/store.ts';
import { consumer, inPeriod, PERIOD, seedConsumers, seedUsage, startProxy } from '../helpers.ts';

const PLANS_FILE = fileURLToPath(new URL('../fixtures/plans-alerts.yaml', import.meta.url));
const ADMIN = { authorization: 'Bearer admin-token-0123456789' };
const STRIPE_WEBHOOK_SECRET = 'whsec_stripe_test';
const silent = pino({ level: 'silent' });

interface Received {
  path: string;
  eventId: string;
  signature: string;
  body: string;
  status: number;
  at: Date;
}

/** A webhook receiver that answers 500 to every other request, and can be taken down and brought back on its port. */
class Receiver {
  readonly received: Received[] = [];
  private server: http.Server | undefined;
  private count = 0;
  port = 0;

  async up(): Promise<void> {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        const status = this.count++ % 2 === 0 ? 500 : 204;
        this.received.push({ path: request.url ?? '', eventId: String(request.headers['tollgate-event-id']), signature: String(request.headers['tollgate-signature']), body: Buffer.concat(chunks).toString('utf8'), status, at: new Date() });
        response.writeHead(status).end();
      });
    });
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
}

let ch: TestClickHouse;
let proxy: StripeProxy;
const receiver = new Receiver();

beforeAll(async () => {
  ch = await testClickHouse('billing_webhooks');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  proxy = await startProxy();
  await receiver.up();
});
afterAll(async () => {
  await receiver.down();
  await proxy.close();
  await ch.client.close();
});

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('webhooks from a running billing service', () => {
  const started: BillingService[] = [];
  afterAll(async () => {
    for (const billing of started) await billing.close();
  });
  const env = (): Env => ({
    ...process.env,
    CLICKHOUSE_DATA_DIR: ch.dataDir,
    CLICKHOUSE_DATABASE: ch.database,
    BILLING_PORT: '0',
    BILLING_ADMIN_TOKENS: ADMIN.authorization.slice(7),
    BILLING_GATEWAY_TOKENS: 'gateway-token-0123456789',
    BILLING_PLANS_FILE: PLANS_FILE,
    STRIPE_API_BASE: proxy.url,
    STRIPE_WEBHOOK_SECRET,
    BILLING_SCHEDULE: 'off',
    QUOTA_REFRESH_MS: '3600000', // refreshes are the test's, with its clock
    BILLING_WEBHOOK_RETRY_BASE_MS: '40',
    BILLING_WEBHOOK_RETRY_MAX_MS: '300',
    BILLING_WEBHOOK_POLL_MS: '50',
    BILLING_WEBHOOK_TIMEOUT_MS: '2000',
    BILLING_ALERTS_USAGE_REFRESH_MS: '0',
  });
  const start = async (): Promise<BillingService> => {
    const billing = await startBilling(billingConfigFromEnv(env()), ch.client, silent);
    started.push(billing);
    return billing;
  };
  const restart = async (billing: BillingService): Promise<BillingService> => {
    await billing.close();
    return start();
  };
  const thisPeriod = periodOf(new Date());
  const at = clickHouseTime(thisPeriod.start);

  it('delivers every event at least once, signed, and each crossing is emitted once', async () => {
    await seedConsumers(ch.client, ch.database, [consumer('alpha', 'metered'), consumer('beta', 'capped'), consumer('gamma', 'metered')]);
    let billing = await start();

    // Endpoints: one for every event, one for payment failures only, one deleted again.
    // Every answer of the admin routes is checked against billing's OpenAPI document.
    const inject = specCheckedInject(billing.app);
    const create = (payload: object) => inject({ method: 'POST', url: '/v1/admin/webhooks', headers: ADMIN, payload });
    const all = await create({ url: receiver.url('/all'), description: 'everything' });
    expect(all.statusCode).toBe(201);
    const payments = await create({ url: receiver.url('/payments'), events: ['invoice.payment_failed'] });
    expect(payments.statusCode).toBe(201);
    const secrets = new Map<string, string>([
      ['/all', all.json<{ secret: string }>().secret],
      ['/payments', payments.json<{ secret: string }>().secret],
    ]);
    expect(secrets.get('/all')).toMatch(/^whsec_/);
    expect((await create({ url: 'ftp://example.test/hook' })).json()).toEqual({ error: 'bad_request', message: 'url: must be an absolute http or https URL without credentials (got "ftp://example.test/hook")', param: 'url' });
    expect((await create({ url: receiver.url('/x'), events: ['invoice.paid'] })).statusCode).toBe(400);
    expect((await inject({ method: 'POST', url: '/v1/admin/webhooks', payload: { url: receiver.url('/x') } })).statusCode).toBe(401);
    const dropped = await create({ url: receiver.url('/dropped') });
    expect((await inject({ method: 'DELETE', url: `/v1/admin/webhooks/${dropped.json<{ id: string }>().id}`, headers: ADMIN })).statusCode).toBe(204);
    expect((await inject({ method: 'DELETE', url: `/v1/admin/webhooks/${dropped.json<{ id: string }>().id}`, headers: ADMIN })).statusCode).toBe(404);
    const listed = (await inject({ method: 'GET', url: '/v1/admin/webhooks', headers: ADMIN })).json<{ webhooks: Array<Record<string, unknown>> }>().webhooks;
    expect(listed.map((w) => [w.url, w.events])).toEqual([
      [receiver.url('/all'), []],
      [receiver.url('/payments'), ['invoice.payment_failed']],
    ]);
    expect(listed.every((w) => !('secret' in w))).toBe(true);

    // The receiver goes down before the first event and stays down across two restarts.
    await receiver.down();

    // alpha: 60 of a 100-call quota (50 %), 60 of 50 included calls (80 % at 40); beta: its 20 calls.
    await seedUsage(ch.client, ch.database, [
      { consumer: 'alpha', api: 'orders', n: 60, at, plan: 'metered' },
      { consumer: 'beta', api: 'orders', n: 20, at, plan: 'capped' },
    ]);
    const now = () => new Date();
    await billing.quota.refresh(now());
    await billing.quota.refresh(now());
    billing = await restart(billing);
    await billing.quota.refresh(now());

    // alpha reaches 110: the full quota (threshold and exhausted) and 0.60 EUR spent (0.30 alert).
    await seedUsage(ch.client, ch.database, [{ consumer: 'alpha', api: 'orders', n: 50, at, plan: 'metered' }]);
    await billing.quota.refresh(now());
    billing = await restart(billing);
    await billing.quota.refresh(now());
    await billing.quota.refresh(now());

    // A payment failure reported twice by Stripe.
    const stripe = new Stripe('sk_test_123');
    const failure = JSON.stringify({ id: 'evt_failed_1', object: 'event', type: 'invoice.payment_failed', data: { object: { id: 'in_failed', object: 'invoice', amount_due: 1234, currency: 'eur', metadata: { tollgate_period: PERIOD, tollgate_consumer_id: 'alpha' } } } });
    for (let i = 0; i < 2; i += 1) {
      const answer = await billing.app.inject({
        method: 'POST',
        url: '/stripe/webhook',
        headers: { 'content-type': 'application/json', 'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload: failure, secret: STRIPE_WEBHOOK_SECRET }) },
        payload: failure,
      });
      expect(answer.statusCode).toBe(200);
    }

    // A run of the closed period finalizes gamma's invoice; a second run changes nothing.
    await seedUsage(ch.client, ch.database, [{ consumer: 'gamma', api: 'orders', n: 80, at: inPeriod(3), plan: 'metered' }]);
    const run = await billing.run({ period: PERIOD, dryRun: false, trigger: 'api' });
    const invoiced = run.customers.find((c) => c.consumer_id === 'gamma');
    expect(invoiced?.outcome).toBe('invoiced');
    await billing.run({ period: PERIOD, dryRun: false, trigger: 'api' });

    // An admin suspends gamma (twice: announced once).
    for (let i = 0; i < 2; i += 1) expect((await billing.app.inject({ method: 'PUT', url: '/v1/admin/consumers/gamma', headers: ADMIN, payload: { status: 'suspended' } })).statusCode).toBe(200);

    billing = await restart(billing);
    await billing.quota.refresh(now());
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the receiver stays down while retries pile up
    await receiver.up();

    const store = new OutboxStore(ch.client, ch.database);
    const events = await store.events();
    expect(events.map((e) => `${e.type} ${e.dedup_key}`.replace(/^(consumer\.suspended consumer\.suspended:gamma):\d+$/, '$1:<at>')).sort()).toEqual(
      [
        'consumer.suspended consumer.suspended:gamma:<at>',
        `invoice.finalized ${PERIOD}:gamma:${invoiced!.stripe_invoice_id!}`,
        'invoice.payment_failed evt_failed_1',
        `quota.exhausted alpha:${thisPeriod.name}`,
        `quota.exhausted beta:${thisPeriod.name}`,
        `usage.threshold_reached alpha:${thisPeriod.name}:included_units:calls:80%`,
        `usage.threshold_reached alpha:${thisPeriod.name}:quota:100%`,
        `usage.threshold_reached alpha:${thisPeriod.name}:quota:50%`,
        `usage.threshold_reached alpha:${thisPeriod.name}:spend:0.30`,
      ].sort(),
    );
    const targets = events.flatMap((e) => e.endpoint_ids.map((endpoint) => ({ event: e.event_id, endpoint })));
    expect(targets).toHaveLength(events.length + 1); // payment failures go to both endpoints

    const deliveries = await eventually('every delivery', async () => {
      const rows = await store.deliveries();
      const delivered = rows.filter((d) => d.state === 'delivered');
      return delivered.length === targets.length ? rows : undefined;
    });
    expect(deliveries.every((d) => d.state === 'delivered')).toBe(true);
    expect(Math.max(...deliveries.map((d) => d.attempts))).toBeGreaterThan(1);

    // Every event reached every endpoint it targets with a 2xx answer, each request signed.
    const byPath = (endpoint: string) => (listed.find((w) => w.id === endpoint)!.url as string).replace(/^http:\/\/[^/]+/, '');
    for (const { event, endpoint } of targets) {
      expect(receiver.received.some((r) => r.eventId === event && r.path === byPath(endpoint) && r.status < 300)).toBe(true);
    }
    expect(receiver.received.some((r) => r.status === 500)).toBe(true);
    for (const r of receiver.received) {
      expect(verifySignature(secrets.get(r.path)!, r.body, r.signature, r.at)).toBe(true);
      expect(JSON.parse(r.body)).toMatchObject({ id: r.eventId });
    }
    const finalized = receiver.received.find((r) => JSON.parse(r.body).type === 'invoice.finalized')!;
    expect(JSON.parse(finalized.body)).toMatchObject({ data: { consumer_id: 'gamma', period: PERIOD, plan_id: 'metered', amount_minor: 30, currency: 'EUR' } });
    const spend = receiver.received.map((r) => JSON.parse(r.body) as { data: { alert?: { of: string } } }).find((b) => b.data.alert?.of === 'spend')!;
    expect(spend.data).toEqual({ consumer_id: 'alpha', plan_id: 'metered', period: thisPeriod.name, alert: { of: 'spend', at: '0.30' }, threshold: 30, value: 60, currency: 'EUR' });

    // Nothing more is emitted by later refreshes, and the gauges settle.
    await billing.quota.refresh(now());
    expect(await store.events()).toHaveLength(events.length);
    await billing.webhooks.dispatchOnce();
    const metrics = (await billing.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/tollgate_billing_webhook_pending\{service="billing"\} 0\n/);
    expect(metrics).toMatch(/tollgate_billing_webhook_oldest_pending_seconds\{service="billing"\} 0\n/);
  }, 90_000);
});

describe('the outbox on an injected clock', () => {
  it('resumes pending deliveries in a new instance, gives up after 72 hours, cancels for deleted endpoints', async () => {
    const database = `${ch.database}_outbox`;
    await migrate(ch.client, { database, usageRetentionDays: 400 });
    const store = new OutboxStore(ch.client, database);
    // An injected clock a month ahead of the real one (whole hours), so the 72 h pass in no time.
    const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 30 * 86_400_000;
    let clock = new Date(base);
    const endpoints = new WebhookEndpoints(store, () => clock);
    const live = await endpoints.create({ url: receiver.url('/clocked') });
    const dead = await endpoints.create({ url: 'http://127.0.0.1:9/never', events: ['quota.exhausted'] });
    const gone = await endpoints.create({ url: receiver.url('/gone'), events: ['quota.exhausted'] });
    const registry = new Registry();
    const outbox = (r?: Registry) => new WebhookOutbox({ store, log: silent, ...(r ? { registry: r } : {}), now: () => clock, random: () => 0.5, retry: DEFAULT_RETRY_POLICY, timeoutMs: 2_000 });

    // Emitted by one instance that never dispatches (a CLI run, or a service killed at once)…
    const first = outbox();
    const emitted = await first.emit('quota.exhausted', { consumer_id: 'c', plan_id: 'p', period: '2030-03', limit: 1, used: 1, hard: true }, 'c:2030-03');
    expect(emitted.emitted).toBe(true);
    expect((await first.emit('quota.exhausted', { consumer_id: 'c', plan_id: 'p', period: '2030-03', limit: 1, used: 2, hard: true }, 'c:2030-03')).emitted).toBe(false);
    const twice = { type: 'quota.exhausted' as const, data: { consumer_id: 'd', plan_id: 'p', period: '2030-03', limit: 1, used: 1, hard: true }, dedupKey: 'd:2030-03' };
    expect((await first.emitAll([twice, twice])).map((r) => r.emitted)).toEqual([true, false]);
    await endpoints.delete(gone.id);

    // …delivered by the next one, with a fresh dedup cache that still knows the event.
    const second = outbox(registry);
    expect((await second.emit('quota.exhausted', { consumer_id: 'c', plan_id: 'p', period: '2030-03', limit: 1, used: 3, hard: true }, 'c:2030-03')).emitted).toBe(false);
    await second.dispatchOnce();
    // The receiver answers 500 to every other request: a pass delivers one of the two at least.
    const to = async (endpoint: string) => (await store.deliveries()).filter((d) => d.endpoint_id === endpoint);
    for (let pass = 0; pass < 3 && (await to(live.id)).some((d) => d.state !== 'delivered'); pass += 1) {
      clock = new Date(clock.getTime() + 60_000);
      await second.dispatchOnce();
    }
    expect((await to(live.id)).map((d) => d.state)).toEqual(['delivered', 'delivered']);
    expect((await to(gone.id)).map((d) => d.state)).toEqual(['cancelled', 'cancelled']);
    const retry = (await to(dead.id))[0]!;
    expect(retry).toMatchObject({ state: 'pending', attempts: expect.any(Number) as number });
    expect(retry.next_attempt_at.getTime()).toBeGreaterThan(clock.getTime());

    // Not due yet: nothing is attempted.
    const attemptsBefore = retry.attempts;
    await second.dispatchOnce();
    expect((await to(dead.id)).map((d) => d.attempts)).toEqual([attemptsBefore, attemptsBefore]);

    // 71 hours on it is still retried; at 72 hours it is given up.
    clock = new Date(base + 71 * 3_600_000);
    await second.dispatchOnce();
    expect((await to(dead.id)).map((d) => [d.state, d.attempts])).toEqual([['pending', attemptsBefore + 1], ['pending', attemptsBefore + 1]]);
    expect(await registry.getSingleMetricAsString('tollgate_billing_webhook_oldest_pending_seconds')).toMatch(/ 255600$/);
    clock = new Date(base + 72 * 3_600_000);
    await second.dispatchOnce();
    expect((await to(dead.id)).map((d) => [d.state, d.attempts])).toEqual([['failed', attemptsBefore + 2], ['failed', attemptsBefore + 2]]);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/tollgate_billing_webhook_deliveries_total\{outcome="failed"\} 2/);
    expect(metrics).toMatch(/tollgate_billing_webhook_deliveries_total\{outcome="cancelled"\} 2/);
    expect(metrics).toMatch(/tollgate_billing_webhook_pending 0/);
  }, 60_000);
});
