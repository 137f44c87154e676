// Billing's HTTP interface: quota checks and ext_authz for gateways, the admin API (consumers,
// runs), and Stripe's webhook.
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { Histogram, type Registry } from 'prom-client';
import Stripe from 'stripe';
import type { ClickHouseClient } from '@clickhouse/client';
import { bearerTokenCheck, registerErrorHandler, registerOpsRoutes } from '@tollgate/platform';
import { parsePeriod, type PlanCatalog } from '@tollgate/pricing';
import { deleteConsumer, parseConsumerUpdate, readConsumers, upsertConsumer } from '@tollgate/registry';
import type { Ledger } from './ledger.ts';
import type { QuotaBook } from './quota-book.ts';
import type { RunOptions, RunResult } from './run.ts';

export interface BillingAppOptions {
  client: ClickHouseClient;
  database: string;
  plans: PlanCatalog;
  ledger: Ledger;
  quota: QuotaBook;
  adminTokens: readonly string[];
  gatewayTokens: readonly string[];
  consumerHeader: string;
  webhookSecret: string | undefined;
  run: (options: RunOptions) => Promise<RunResult>;
  registry: Registry;
  log: Logger;
}

const unauthorized = { error: 'unauthorized', message: 'a valid bearer token is required' };

export function buildBillingApp(o: BillingAppOptions): FastifyInstance {
  const app = Fastify({ loggerInstance: o.log.child({ component: 'http' }) as FastifyBaseLogger });
  registerErrorHandler(app);
  registerOpsRoutes(app, o.registry, () => ({
    ready: o.quota.loadedAt > 0 && Date.now() - o.quota.loadedAt < 60_000,
    checks: { quota_loaded_at: new Date(o.quota.loadedAt).toISOString(), plans: String(o.plans.plans.size) },
  }));
  const isAdmin = bearerTokenCheck(o.adminTokens);
  const isGateway = bearerTokenCheck([...o.gatewayTokens, ...o.adminTokens]);
  const gatewayCredential = bearerTokenCheck(o.gatewayTokens);

  app.get<{ Params: { consumer: string } }>('/v1/quota/:consumer', async (request, reply) => {
    if (!isGateway(request.headers.authorization)) return reply.code(401).send(unauthorized);
    const answer = o.quota.check(request.params.consumer);
    if (!answer.known) return reply.code(404).send({ error: 'unknown_consumer', message: `no consumer "${answer.consumer}" with a known plan` });
    return {
      consumer: answer.consumer,
      plan: answer.plan,
      used: answer.used,
      limit: answer.state?.limit ?? null,
      remaining: answer.state?.remaining ?? null,
      hard: answer.state?.hard ?? false,
      exceeded: answer.state?.exceeded ?? false,
      period_end: answer.period_end,
    };
  });

  // Envoy ext_authz (HTTP service): the original request's headers arrive here, under this path
  // prefix. 200 lets the call through, 429 refuses a hard-quota consumer with nothing left. The
  // gateway proves itself with x-tollgate-gateway-token (added by the ext_authz filter), since
  // Authorization belongs to the original caller.
  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    if (o.gatewayTokens.length > 0 && !gatewayCredential(`Bearer ${String(request.headers['x-tollgate-gateway-token'] ?? '')}`)) {
      return reply.code(403).send({ error: 'forbidden', message: 'x-tollgate-gateway-token is missing or wrong' });
    }
    const consumer = request.headers[o.consumerHeader];
    if (typeof consumer !== 'string' || consumer === '') return reply.code(200).header('x-tollgate-quota', 'anonymous').send();
    const answer = o.quota.check(consumer);
    if (!answer.state) return reply.code(200).header('x-tollgate-quota', answer.known ? 'unlimited' : 'unknown').send();
    const reset = Math.max(0, Math.ceil((Date.parse(answer.period_end) - Date.now()) / 1000));
    void reply
      .header('x-ratelimit-limit', String(answer.state.limit))
      .header('x-ratelimit-remaining', String(answer.state.remaining))
      .header('x-ratelimit-reset', String(reset));
    if (answer.state.blocked) {
      return reply.code(429).header('retry-after', String(reset)).send({ error: 'quota_exceeded', message: `consumer ${consumer} used its ${answer.state.limit} calls for this period` });
    }
    return reply.code(200).send();
  };
  app.all('/v1/authorize', authorize);
  app.all('/v1/authorize/*', authorize);
  // Time inside the server per decision, from the request's arrival to the response being sent.
  const decisions = new Histogram({
    name: 'tollgate_billing_authorize_seconds',
    help: 'Quota decisions (ext_authz): time in the server',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [o.registry],
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (request.url.startsWith('/v1/authorize')) decisions.observe(reply.elapsedTime / 1000);
    done();
  });

  void app.register(async (admin) => {
    admin.addHook('onRequest', async (request, reply) => {
      if (!isAdmin(request.headers.authorization)) return reply.code(401).send(unauthorized);
    });
    admin.get('/v1/admin/consumers', async () => ({ consumers: await readConsumers(o.client, o.database) }));
    admin.get<{ Params: { id: string } }>('/v1/admin/consumers/:id', async (request, reply) => {
      const [found] = await readConsumers(o.client, o.database, request.params.id);
      return found ?? reply.code(404).send({ error: 'not_found', message: `no consumer "${request.params.id}"` });
    });
    admin.put<{ Params: { id: string } }>('/v1/admin/consumers/:id', async (request, reply) => {
      const parsed = parseConsumerUpdate(request.body, o.plans.plans);
      if ('problem' in parsed) return reply.code(400).send({ error: 'invalid_consumer', message: parsed.problem });
      const { record, created } = await upsertConsumer(o.client, o.database, request.params.id, parsed.update);
      await o.quota.refresh();
      return reply.code(created ? 201 : 200).send(record);
    });
    admin.delete<{ Params: { id: string } }>('/v1/admin/consumers/:id', async (request, reply) => {
      await deleteConsumer(o.client, o.database, request.params.id);
      return reply.code(204).send();
    });
    admin.post('/v1/admin/runs', async (request, reply) => {
      const body = (request.body ?? {}) as { period?: unknown; customer?: unknown; dry_run?: unknown };
      try {
        parsePeriod(String(body.period));
      } catch (error) {
        return reply.code(400).send({ error: 'invalid_period', message: (error as Error).message });
      }
      if (body.customer !== undefined && typeof body.customer !== 'string') return reply.code(400).send({ error: 'invalid_customer', message: 'customer must be a string' });
      return o.run({ period: String(body.period), ...(body.customer ? { customer: body.customer as string } : {}), dryRun: body.dry_run === true, trigger: 'api' });
    });
    admin.get<{ Querystring: { period?: string } }>('/v1/admin/runs', async (request, reply) => {
      try {
        parsePeriod(String(request.query.period));
      } catch (error) {
        return reply.code(400).send({ error: 'invalid_period', message: (error as Error).message });
      }
      const period = String(request.query.period);
      const invoices = [...(await o.ledger.invoices(period)).values()].map((i) => ({ ...i, amount_minor: Number(i.amount_minor), lost_revenue_minor: Number(i.lost_revenue_minor), usage_requests: Number(i.usage_requests) }));
      return { runs: await o.ledger.runs(period), invoices };
    });
  });

  void app.register(async (webhooks) => {
    // The signature covers the exact bytes Stripe sent: keep the body raw.
    webhooks.removeAllContentTypeParsers();
    webhooks.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const verifier = new Stripe('sk_test_webhook_verification_only');
    webhooks.post('/stripe/webhook', async (request, reply) => {
      if (!o.webhookSecret) return reply.code(503).send({ error: 'not_configured', message: 'STRIPE_WEBHOOK_SECRET is not set' });
      let event: Stripe.Event;
      try {
        event = verifier.webhooks.constructEvent(request.body as Buffer, String(request.headers['stripe-signature'] ?? ''), o.webhookSecret);
      } catch (error) {
        return reply.code(400).send({ error: 'bad_signature', message: (error as Error).message });
      }
      const statuses: Record<string, string> = { 'invoice.paid': 'paid', 'invoice.payment_failed': 'payment_failed', 'invoice.voided': 'void' };
      const status = statuses[event.type];
      if (!status) return { received: true, recorded: false };
      const invoice = event.data.object as Stripe.Invoice;
      const ledgerRow = invoice.id ? await o.ledger.invoiceByStripeId(invoice.id) : undefined;
      const fresh = await o.ledger.recordWebhookEvent({
        event_id: event.id,
        type: event.type,
        stripe_invoice_id: invoice.id ?? '',
        period: ledgerRow?.period ?? invoice.metadata?.tollgate_period ?? '',
        consumer_id: ledgerRow?.consumer_id ?? invoice.metadata?.tollgate_consumer_id ?? '',
      });
      if (fresh && ledgerRow) {
        const { updated_at: _ignored, ...rest } = ledgerRow;
        await o.ledger.writeInvoice({ ...rest, stripe_status: status });
      }
      return { received: true, recorded: fresh };
    });
  });
  return app;
}
