// Operations endpoints every service serves: /healthz (the process is alive), /readyz (it can do
// its job now) and /metrics (Prometheus text format), plus one JSON error shape for every route.
import type { FastifyError, FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';

export interface Readiness {
  ready: boolean;
  /** Named checks, shown in the /readyz body so an operator sees what is missing. */
  checks: Record<string, boolean | string>;
}

export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export function registerOpsRoutes(
  app: FastifyInstance,
  registry: Registry,
  readiness: () => Readiness | Promise<Readiness>,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const state = await readiness();
    return reply.code(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'not ready', checks: state.checks });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

/**
 * Client mistakes (4xx from fastify: bad JSON, body too large, wrong media type) keep their status
 * and say what was wrong; anything else is a 500 whose details stay in the log.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'request failed');
    void reply.code(status).send({
      error: status === 500 ? 'internal_error' : (error.code ?? 'bad_request'),
      message: status === 500 ? 'internal error' : error.message,
    });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url}` });
  });
}
