// Composes the dashboard service: the query API (named queries, tenant-scoped usage), the
// built-in dashboard page and the operations routes. The ClickHouse client is handed in, so the
// one-process stack can share one embedded engine.
import { readFile } from 'node:fs/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { pino, type Logger } from 'pino';
import { Histogram } from 'prom-client';
import { loadPlansFile } from '@tollgate/pricing';
import { createMetricsRegistry, registerErrorHandler, registerOpsRoutes } from '@tollgate/platform';
import { createAuthenticator, type Caller } from './auth.ts';
import type { DashboardConfig } from './config.ts';
import { consumerUsage, loadRollupCoverage, NAMED_QUERIES, ParamError, parseParams, QUERIES_BY_NAME, type NamedQuery, type QueryContext, type QueryParams } from './queries/index.ts';

export interface DashboardService {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

const PUBLIC_DIR = new URL('../public/', import.meta.url);
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};
// The page loads nothing from elsewhere (the machine may be offline) and talks only to this origin.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

function describe(query: NamedQuery): object {
  return { name: query.name, description: query.description, params: query.params, columns: query.columns };
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
  const staticFiles = new Map<string, { body: string; type: string }>();
  for (const [path, { file, type }] of Object.entries(STATIC_FILES)) {
    staticFiles.set(path, { body: await readFile(new URL(file, PUBLIC_DIR), 'utf8'), type });
  }

  const promRegistry = createMetricsRegistry('dashboards');
  const duration = new Histogram({
    name: 'dashboard_query_duration_seconds',
    help: 'Time to answer a named query, by query and outcome',
    labelNames: ['query', 'outcome'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10],
    registers: [promRegistry],
  });

  const app = Fastify({ loggerInstance: log.child({ component: 'http' }) as FastifyBaseLogger });
  registerErrorHandler(app);
  registerOpsRoutes(app, promRegistry, async () => {
    const clickhouse = await client.ping().then((r) => r.success, () => false);
    return { ready: clickhouse, checks: { clickhouse, plans: String(plans.plans.size) } };
  });

  for (const [path, { body, type }] of staticFiles) {
    app.get(path, async (_request, reply) => reply.type(type).header('content-security-policy', CSP).header('cache-control', 'no-cache').send(body));
  }

  const authenticate = createAuthenticator(config.adminTokens, config.consumerTokens);
  const caller = (request: FastifyRequest, reply: FastifyReply): Caller | undefined => {
    const who = authenticate(request.headers.authorization);
    if (!who) void reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'a valid bearer token is required' });
    return who;
  };
  const adminOnly = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const who = caller(request, reply);
    if (who?.kind === 'consumer') void reply.code(403).send({ error: 'forbidden', message: 'consumer tokens may only read GET /v1/usage' });
    return who?.kind === 'admin';
  };

  /** Validated parameters, or undefined after answering 400 naming the parameter. */
  const parse = (query: NamedQuery, raw: Record<string, unknown>, reply: FastifyReply): QueryParams | undefined => {
    try {
      return parseParams(query.params, raw, ctx.now());
    } catch (error) {
      if (!(error instanceof ParamError)) throw error;
      void reply.code(400).send({ error: error.code, param: error.param, message: error.message });
      return undefined;
    }
  };
  const execute = async (query: NamedQuery, params: QueryParams): Promise<{ rows: unknown[] }> => {
    const end = duration.startTimer({ query: query.name });
    try {
      const rows = await query.run(ctx, params);
      end({ outcome: 'ok' });
      return { rows };
    } catch (error) {
      end({ outcome: 'error' });
      throw error;
    }
  };

  app.get('/v1/queries', async (request, reply) => {
    if (!adminOnly(request, reply)) return reply;
    return { queries: NAMED_QUERIES.map(describe), usage: describe(consumerUsage) };
  });

  app.get<{ Params: { name: string }; Querystring: Record<string, unknown> }>('/v1/queries/:name', async (request, reply) => {
    if (!adminOnly(request, reply)) return reply;
    const query = QUERIES_BY_NAME.get(request.params.name);
    if (!query) {
      return reply.code(404).send({ error: 'unknown_query', message: `no query named ${JSON.stringify(request.params.name)}; GET /v1/queries lists them` });
    }
    const params = parse(query, request.query, reply);
    return params ? execute(query, params) : reply;
  });

  app.get<{ Querystring: Record<string, unknown> }>('/v1/usage', async (request, reply) => {
    const who = caller(request, reply);
    if (!who) return reply;
    const params = parse(consumerUsage, request.query, reply);
    if (!params) return reply;
    if (who.kind === 'consumer') {
      if (params.consumer !== undefined && params.consumer !== who.consumerId) {
        return reply.code(403).send({ error: 'forbidden', message: 'a consumer token reads its own usage only' });
      }
      params.consumer = who.consumerId;
    }
    return execute(consumerUsage, params);
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
