// GET /v1/quota/{consumer}: a gateway asks how much of its quota a consumer has used. Gateways
// present a gateway token (or an admin token) as Authorization: Bearer.
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, requireBearer } from '@tollgate/platform';
import { UnknownConsumer } from '../errors.ts';
import type { QuotaBook } from '../quota-book.ts';
import { QUOTA_ANSWER } from './answers.ts';
import type { GatewayAuth } from './gateway-auth.ts';

export interface QuotaRoutesOptions {
  quota: QuotaBook;
  gatewayAuth: GatewayAuth;
  adminTokens: readonly string[];
}

export const quotaRoutes: FastifyPluginAsync<QuotaRoutesOptions> = async (app, { quota, gatewayAuth, adminTokens }) => {
  if (gatewayAuth.enabled) app.addHook('onRequest', requireBearer([...gatewayAuth.tokens, ...adminTokens]));
  app.get<{ Params: { consumer: string } }>(
    '/v1/quota/:consumer',
    {
      schema: {
        tags: ['gateway'],
        summary: "A consumer's quota use this period",
        security: [{ bearer: [] }],
        params: { type: 'object', required: ['consumer'], properties: { consumer: { type: 'string', minLength: 1 } } },
        response: { 200: QUOTA_ANSWER, ...errorResponses(400, { 401: 'a gateway or admin token is required' }, { 404: 'unknown_consumer: no consumer with a known plan' }) },
      },
    },
    async (request) => {
      const answer = quota.check(request.params.consumer);
      if (!answer.known) throw new UnknownConsumer(answer.consumer);
      return {
        consumer: answer.consumer,
        plan: answer.plan,
        used: answer.used,
        limit: answer.state?.limit ?? null,
        remaining: answer.state?.remaining ?? null,
        hard: answer.state?.hard ?? false,
        exceeded: answer.state?.exceeded ?? false,
        period_end: answer.period_end,
      };
    },
  );
};
