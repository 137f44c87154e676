// The dashboard service's HTTP interface, assembled from route plugins (routes/): the named
// queries for admins, tenant-scoped usage, refusals and invoice previews, the console's pages and the operations routes. Each
// plugin keeps its auth hook in its own scope; errors are answered by platform's one handler.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Histogram, type Registry } from 'prom-client';
import { createHttpApp, opsRoutes, type Readiness } from '@tollgate/platform';
import type { InvoicePreviews } from './billing-client.ts';
import type { ConsoleAssets } from './console-assets.ts';
import type { Authenticate } from './routes/callers.ts';
import { consumerUsageRoutes } from './routes/consumer-usage.ts';
import { pageRoutes } from './routes/page.ts';
import { queryRoutes } from './routes/queries.ts';
import { queryRunner } from './routes/query-run.ts';
import { tenantRoutes } from './routes/tenant.ts';
import { DASHBOARD_FORMATS, type QueryContext } from './queries/index.ts';

export interface DashboardAppOptions {
  ctx: QueryContext;
  authenticate: Authenticate;
  registry: Registry;
  readiness: () => Promise<Readiness>;
  log: Logger;
  /** Each query's limit: ClickHouse's max_execution_time, a 504 query_timeout past it. */
  queryTimeoutMs: number;
  /** Billing's invoice previews (billing-client.ts), for the console. */
  invoicePreviews: InvoicePreviews;
  /** The console's pages and bundled scripts (console-assets.ts). */
  assets: ConsoleAssets;
}

export function buildDashboardApp(o: DashboardAppOptions): FastifyInstance {
  const duration = new Histogram({
    name: 'tollgate_dashboard_query_duration_seconds',
    help: 'Time to answer a named query, by query and outcome',
    labelNames: ['query', 'outcome'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10],
    registers: [o.registry],
  });
  const run = queryRunner(o.ctx, duration, o.queryTimeoutMs);
  const app = createHttpApp({
    log: o.log,
    formats: DASHBOARD_FORMATS,
    openapi: { title: 'Tollgate dashboards', description: 'Named queries over API usage and revenue for admins, usage for consumers, and the built-in page.' },
  });
  void app.register(opsRoutes, { registry: o.registry, readiness: o.readiness });
  void app.register(pageRoutes, { assets: o.assets });
  void app.register(queryRoutes, { ctx: o.ctx, authenticate: o.authenticate, run });
  void app.register(consumerUsageRoutes, { ctx: o.ctx, authenticate: o.authenticate, run });
  void app.register(tenantRoutes, { ctx: o.ctx, authenticate: o.authenticate, run, invoicePreviews: o.invoicePreviews });
  return app;
}
