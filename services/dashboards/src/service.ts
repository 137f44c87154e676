// Composes the dashboard service: plans, rollup coverage, the query context, the console's bundled
// pages (console-assets.ts), billing's invoice previews and the HTTP app (app.ts). The ClickHouse
// client is handed in, so the one-process stack can share one embedded engine.
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import { loadPlansFile } from '@tollgate/pricing';
import { createAuthenticator, createMetricsRegistry } from '@tollgate/platform';
import { buildDashboardApp } from './app.ts';
import { billingInvoicePreviews } from './billing-client.ts';
import { consoleAssets } from './console-assets.ts';
import type { DashboardConfig } from './config.ts';
import { loadRollupCoverage, NAMED_QUERIES, type QueryContext } from './queries/index.ts';

export interface DashboardService {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function startDashboard(config: DashboardConfig, client: ClickHouseClient, log: Logger = pino({ name: 'dashboards' })): Promise<DashboardService> {
  const plans = await loadPlansFile(config.plansFile);
  const ctx: QueryContext = {
    client,
    database: config.clickhouse.database,
    plans,
    retention: {
      minuteRollupDays: config.migrations.minuteRollupRetentionDays ?? 35,
      rollupsSince: await loadRollupCoverage(client, config.clickhouse.database),
    },
    now: () => new Date(),
  };
  const app = buildDashboardApp({
    ctx,
    authenticate: createAuthenticator(config.adminTokens, config.consumerTokens),
    registry: createMetricsRegistry('dashboards'),
    readiness: async () => {
      const clickhouse = await client.ping().then((r) => r.success, () => false);
      return { ready: clickhouse, checks: { clickhouse, plans: String(plans.plans.size) } };
    },
    log,
    queryTimeoutMs: config.queryTimeoutMs,
    invoicePreviews: billingInvoicePreviews(config.billing),
    assets: await consoleAssets(),
  });
  const url = await app.listen({ host: config.host, port: config.port });
  log.info(`dashboards on ${url} (${NAMED_QUERIES.length} named queries, ${plans.plans.size} plans from ${config.plansFile})`);
  return {
    app,
    url,
    async close() {
      await app.close();
    },
  };
}
