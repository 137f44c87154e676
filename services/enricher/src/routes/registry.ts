// POST /v1/registry/refresh: an admin reloads the consumer registry now instead of at the next
// interval (after registering consumers, say). Guarded by ENRICHER_ADMIN_TOKENS in this scope;
// with none configured the route refuses every call.
import type { FastifyPluginAsync } from 'fastify';
import { requireBearer } from '@tollgate/platform';
import type { RegistryCache } from '@tollgate/registry';

export interface RegistryRoutesOptions {
  registry: RegistryCache;
  adminTokens: readonly string[];
}

export const registryRoutes: FastifyPluginAsync<RegistryRoutesOptions> = async (app, { registry, adminTokens }) => {
  app.addHook('onRequest', requireBearer(adminTokens));
  app.post('/v1/registry/refresh', async () => ({ consumers: await registry.refresh() }));
};
