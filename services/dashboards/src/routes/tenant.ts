// What the consumer console reads besides GET /v1/usage, for consumer tokens (their own consumer
// only, as /v1/usage) and admin tokens (any consumer; the operator's drill-down):
//   GET /v1/refused?from&to[&api][&consumer]  their calls refused by policy (refused_by_policy)
//   GET /v1/invoice-preview[?consumer=]        billing's invoice preview of the current period
import type { FastifyPluginAsync } from 'fastify';
import type { InvoicePreviews } from '../billing-client.ts';
import { ConsumerRequired, UnknownConsumer } from '../errors.ts';
import { querySchema, refusedByPolicy, resolveParams, type QueryContext, type ValidQuery } from '../queries/index.ts';
import { anyCaller, callerOf, scopedConsumer, type Authenticate } from './callers.ts';
import { emptyValuesAreAbsent, schemaErrorFormatter, type queryRunner } from './query-run.ts';

export interface TenantRoutesOptions {
  ctx: QueryContext;
  authenticate: Authenticate;
  run: ReturnType<typeof queryRunner>;
  invoicePreviews: InvoicePreviews;
}

const PREVIEW_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { consumer: { type: 'string', minLength: 1, maxLength: 200, description: 'the consumer (admin tokens); a consumer token reads its own' } },
};

export const tenantRoutes: FastifyPluginAsync<TenantRoutesOptions> = async (app, { ctx, authenticate, run, invoicePreviews }) => {
  app.addHook('onRequest', anyCaller(authenticate));
  emptyValuesAreAbsent(app);

  app.get<{ Querystring: ValidQuery }>(
    '/v1/refused',
    { schema: { querystring: querySchema(refusedByPolicy.params) }, schemaErrorFormatter },
    async (request) => {
      const params = resolveParams(request.query, ctx.now());
      const consumer = scopedConsumer(callerOf(request), params.consumer, 'refused calls');
      if (consumer !== undefined) params.consumer = consumer;
      return run(refusedByPolicy, params);
    },
  );

  app.get<{ Querystring: { consumer?: string } }>('/v1/invoice-preview', { schema: { querystring: PREVIEW_QUERY }, schemaErrorFormatter }, async (request) => {
    const consumer = scopedConsumer(callerOf(request), request.query.consumer, 'invoice preview');
    if (consumer === undefined) throw new ConsumerRequired();
    const preview = await invoicePreviews(consumer);
    if (!preview) throw new UnknownConsumer(consumer);
    return preview;
  });
};
