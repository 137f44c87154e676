// POST /v1/registry/refresh: an admin reloads the consumer registry now instead of at the next
// interval (after registering consumers, say). Guarded by ENRICHER_ADMIN_TOKENS in this scope;
// with none configured the route refuses every call.
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, requireBearer } from '@tollgate/platform';
import type { RegistryCache } from '@tollgate/registry';

export interface RegistryRoutesOptions {
  registry: RegistryCache;
  adminTokens: readonly string[];
}

export const registryRoutes: FastifyPluginAsync<RegistryRoutesOptions> = async (app, { registry, adminTokens }) => {
  app.addHook('onRequest', requireBearer(adminTokens));
  app.post(
    '/v1/registry/refresh',
    {
      schema: {
        tags: ['admin'],
        summary: 'Reload the consumer registry now',
        security: [{ bearer: [] }],
        response: {
          200: { description: 'reloaded', type: 'object', required: ['consumers'], additionalProperties: false, properties: { consumers: { type: 'integer', description: 'consumers now known' } } },
          ...errorResponses({ 401: 'an admin token (ENRICHER_ADMIN_TOKENS) is required' }),
        },
      },
    },
    async () => ({ consumers: await registry.refresh() }),
  );
};
