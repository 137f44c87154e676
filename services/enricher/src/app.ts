// The enricher's HTTP interface: the operations routes and the admin's registry refresh, described
// at /openapi.json. Its work is the Kafka loop; this server only lets it be watched and nudged.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createHttpApp, opsRoutes, type Readiness } from '@tollgate/platform';
import type { RegistryCache } from '@tollgate/registry';
import { registryRoutes } from './routes/registry.ts';

export interface EnricherAppOptions {
  log?: Logger;
  metrics: Registry;
  readiness: () => Promise<Readiness>;
  registry: RegistryCache;
  adminTokens: readonly string[];
}

export function buildEnricherApp(o: EnricherAppOptions): FastifyInstance {
  const app = createHttpApp({
    ...(o.log ? { log: o.log } : {}),
    openapi: { title: 'Tollgate enricher', description: 'Operations of the enricher (Kafka → ClickHouse): health, readiness, metrics and a registry refresh.' },
  });
  void app.register(opsRoutes, { registry: o.metrics, readiness: o.readiness });
  void app.register(registryRoutes, { registry: o.registry, adminTokens: o.adminTokens });
  return app;
}
