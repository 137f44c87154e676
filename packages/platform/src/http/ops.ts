// Operations endpoints every service serves: /healthz (the process is alive), /readyz (it can do
// its job now) and /metrics (Prometheus text format). A route plugin without hooks: it needs no
// scope of its own, and no scope leaks out of it.
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { textResponse } from './openapi.ts';

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

const TAGS = ['operations'];
const readinessBody = (description: string) => ({
  description,
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not ready'] },
    checks: { type: 'object', description: 'named checks: true/false, or a value to read', additionalProperties: { type: ['boolean', 'string'] } },
  },
});

export const opsRoutes: FastifyPluginAsync<OpsRoutesOptions> = async (app, { registry, readiness }) => {
  app.get(
    '/healthz',
    { schema: { tags: TAGS, summary: 'The process is alive', response: { 200: { description: 'alive', type: 'object', required: ['status'], properties: { status: { type: 'string', const: 'ok' } } } } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    { schema: { tags: TAGS, summary: 'The service can do its job now', response: { 200: readinessBody('ready'), 503: readinessBody('not ready: the checks say what is missing') } } },
    async (_request, reply) => {
      const state = await readiness();
      return reply.code(state.ready ? 200 : 503).send({ status: state.ready ? 'ready' : 'not ready', checks: state.checks });
    },
  );
  app.get('/metrics', { schema: { tags: TAGS, summary: 'Prometheus metrics', response: { 200: textResponse('text/plain', 'Prometheus text exposition format') } } }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
};

/** `app.register(opsRoutes, …)` for callers that build their app by hand (the tap, for now). */
export function registerOpsRoutes(app: FastifyInstance, registry: Registry, readiness: OpsRoutesOptions['readiness']): void {
  void app.register(opsRoutes, { registry, readiness });
}
