// Billing's HTTP interface, assembled from route plugins (routes/): quota checks and decisions for
// gateways, the admin API (consumers, API keys, runs), invoice previews (admins and the consumer's
// own token), Stripe's webhook and the operations routes. Each
// plugin keeps its auth hook and parsers in its own scope; errors are answered by platform's one
// error handler.
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createHttpApp, opsRoutes } from '@tollgate/platform';
import type { PlanCatalog } from '@tollgate/pricing';
import type { ConsumerHooks } from './consumer-hooks.ts';
import type { Ledger } from './ledger.ts';
import type { PolicyPoint } from './policy/policy-point.ts';
import type { QuotaBook } from './quota-book.ts';
import type { ReconcileResult } from './reconcile.ts';
import { adminApiKeyRoutes } from './routes/admin-api-keys.ts';
import { adminConsumerRoutes } from './routes/admin-consumers.ts';
import { adminRunRoutes } from './routes/admin-runs.ts';
import { adminWebhookRoutes } from './routes/admin-webhooks.ts';
import { authorizeRoutes } from './routes/authorize.ts';
import { invoicePreviewRoutes } from './routes/invoice-preview.ts';
import { BILLING_FORMATS } from './routes/formats.ts';
import type { GatewayAuth } from './routes/gateway-auth.ts';
import { quotaRoutes } from './routes/quota.ts';
import { stripeWebhookRoutes } from './routes/stripe-webhook.ts';
import type { RunOptions, RunResult } from './run.ts';
import type { WebhookEndpoints } from './webhooks/endpoints.ts';
import type { WebhookEmitter } from './webhooks/events.ts';

export interface BillingAppOptions {
  client: ClickHouseClient;
  database: string;
  plans: PlanCatalog;
  ledger: Ledger;
  quota: QuotaBook;
  policy: PolicyPoint;
  adminTokens: readonly string[];
  /** BILLING_CONSUMER_TOKENS: token → consumer id, for the consumer's own invoice preview. */
  consumerTokens: ReadonlyMap<string, string>;
  gatewayAuth: GatewayAuth;
  consumerHeader: string;
  apiKeyHeaders: readonly string[];
  replicas: number;
  /** The credential HMAC key API keys are stored under (the tap's). */
  hmacKey: string;
  hooks: ConsumerHooks;
  webhookSecret: string | undefined;
  webhookEndpoints: WebhookEndpoints;
  webhooks: WebhookEmitter;
  run: (options: RunOptions) => Promise<RunResult>;
  /** Absent when Stripe is not configured. */
  reconcile: ((period: string, customer?: string) => Promise<ReconcileResult>) | undefined;
  registry: Registry;
  log: Logger;
}

export const BILLING_API = {
  title: 'Tollgate billing',
  description: 'Quota and policy decisions for gateways, the consumer registry and billing runs for admins, invoice previews, and the Stripe webhook.',
};

export function buildBillingApp(o: BillingAppOptions): FastifyInstance {
  const app = createHttpApp({ log: o.log, formats: BILLING_FORMATS, openapi: BILLING_API });
  void app.register(opsRoutes, {
    registry: o.registry,
    readiness: () => ({
      ready: o.quota.loadedAt > 0 && Date.now() - o.quota.loadedAt < 60_000,
      checks: { quota_loaded_at: new Date(o.quota.loadedAt).toISOString(), plans: String(o.plans.plans.size) },
    }),
  });
  void app.register(quotaRoutes, { quota: o.quota, gatewayAuth: o.gatewayAuth, adminTokens: o.adminTokens });
  void app.register(authorizeRoutes, { policy: o.policy, gatewayAuth: o.gatewayAuth, consumerHeader: o.consumerHeader, apiKeyHeaders: o.apiKeyHeaders, replicas: o.replicas, registry: o.registry });
  void app.register(adminConsumerRoutes, { client: o.client, database: o.database, plans: o.plans, quota: o.quota, adminTokens: o.adminTokens, hooks: o.hooks });
  void app.register(adminApiKeyRoutes, { client: o.client, database: o.database, quota: o.quota, hmacKey: o.hmacKey, adminTokens: o.adminTokens });
  void app.register(adminRunRoutes, { ledger: o.ledger, run: o.run, reconcile: o.reconcile, adminTokens: o.adminTokens });
  void app.register(invoicePreviewRoutes, { client: o.client, database: o.database, plans: o.plans, adminTokens: o.adminTokens, consumerTokens: o.consumerTokens });
  void app.register(adminWebhookRoutes, { endpoints: o.webhookEndpoints, adminTokens: o.adminTokens });
  void app.register(stripeWebhookRoutes, { ledger: o.ledger, webhookSecret: o.webhookSecret, webhooks: o.webhooks });
  return app;
}
