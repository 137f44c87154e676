// GET /v1/usage: usage per bucket, API and status class. Admin tokens read any consumer's (or
// everyone's); a consumer token reads its own only (asking for another consumer is 403).
import type { FastifyPluginAsync } from 'fastify';
import { consumerUsage, querySchema, resolveParams, type QueryContext, type ValidQuery } from '../queries/index.ts';
import { anyCaller, callerOf, scopedConsumer, type Authenticate } from './callers.ts';
import { QUERY_ERRORS, rowsAnswer } from './answers.ts';
import { emptyValuesAreAbsent, schemaErrorFormatter, type queryRunner } from './query-run.ts';

export interface ConsumerUsageRoutesOptions {
  ctx: QueryContext;
  authenticate: Authenticate;
  run: ReturnType<typeof queryRunner>;
}

export const consumerUsageRoutes: FastifyPluginAsync<ConsumerUsageRoutesOptions> = async (app, { ctx, authenticate, run }) => {
  app.addHook('onRequest', anyCaller(authenticate));
  emptyValuesAreAbsent(app);

  app.get<{ Querystring: ValidQuery }>(
    '/v1/usage',
    {
      schema: {
        tags: ['usage'],
        summary: 'Usage per time bucket, API and status class',
        description: "Admin tokens read any consumer's (or everyone's); a consumer token reads its own only.",
        security: [{ bearer: [] }],
        querystring: querySchema(consumerUsage.params),
        response: { 200: rowsAnswer(consumerUsage), ...QUERY_ERRORS },
      },
      schemaErrorFormatter,
    },
    async (request) => {
      const params = resolveParams(request.query, ctx.now());
      const consumer = scopedConsumer(callerOf(request), params.consumer, 'usage');
      if (consumer !== undefined) params.consumer = consumer;
      return run(consumerUsage, params);
    },
  );
};
