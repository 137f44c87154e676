// Operations endpoints every service serves: /healthz (the process is alive), /readyz (it can do
// its job now) and /metrics (Prometheus text format). A route plugin without hooks: it needs no
// scope of its own, and no scope leaks out of it.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
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

export interface OpsRoutesOptions {
  registry: Registry;
  readiness: () => Readiness | Promise<Readiness>;
}

export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (app, { registry, readiness }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const state = await readiness();
    return reply.code(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'not ready', checks: state.checks });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};

/** `app.register(opsRoutes, …)` for callers that build their app by hand (the tap, for now). */
export function registerOpsRoutes(app: FastifyInstance, registry: Registry, readiness: OpsRoutesOptions['readiness']): void {
  void app.register(opsRoutes, { registry, readiness });
}
