// What the consumer console reads besides GET /v1/usage, for consumer tokens (their own consumer
// only, as /v1/usage) and admin tokens (any consumer; the operator's drill-down):
//   GET /v1/refused?from&to[&api][&consumer]  their calls refused by policy (refused_by_policy)
//   GET /v1/invoice-preview[?consumer=]        billing's invoice preview of the current period
import type { FastifyPluginAsync } from 'fastify';
import type { InvoicePreviews } from '../billing-client.ts';
import { ConsumerRequired, UnknownConsumer } from '../errors.ts';
import { querySchema, refusedByPolicy, resolveParams, type QueryContext, type ValidQuery } from '../queries/index.ts';
import { errorResponses } from '@tollgate/platform';
import { QUERY_ERRORS, rowsAnswer } from './answers.ts';
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
    {
      schema: {
        tags: ['usage'],
        summary: 'Calls refused by policy, per consumer, API and reason',
        description: "Admin tokens read any consumer's; a consumer token reads its own only.",
        security: [{ bearer: [] }],
        querystring: querySchema(refusedByPolicy.params),
        response: { 200: rowsAnswer(refusedByPolicy), ...QUERY_ERRORS },
      },
      schemaErrorFormatter,
    },
    async (request) => {
      const params = resolveParams(request.query, ctx.now());
      const consumer = scopedConsumer(callerOf(request), params.consumer, 'refused calls');
      if (consumer !== undefined) params.consumer = consumer;
      return run(refusedByPolicy, params);
    },
  );

  const previewSchema = {
    tags: ['billing'],
    summary: "Billing's invoice preview of the current period, through this service",
    description: "Admin tokens name the consumer; a consumer token reads its own. The body is billing's GET /v1/consumers/{id}/invoice-preview answer.",
    security: [{ bearer: [] }],
    querystring: PREVIEW_QUERY,
    response: {
      200: { description: "billing's invoice preview (see billing's OpenAPI document)", type: 'object', additionalProperties: true },
      ...errorResponses(
        { 400: 'invalid_parameter: consumer is required with an admin token' },
        { 401: 'a valid bearer token is required' },
        { 403: "a consumer token asked for another consumer's preview" },
        { 404: 'unknown_consumer' },
        { 502: 'billing_unavailable: billing did not answer' },
        { 503: 'billing_not_configured: DASHBOARD_BILLING_URL and DASHBOARD_BILLING_TOKEN are unset' },
      ),
    },
  };
  app.get<{ Querystring: { consumer?: string } }>('/v1/invoice-preview', { schema: previewSchema, schemaErrorFormatter }, async (request) => {
    const consumer = scopedConsumer(callerOf(request), request.query.consumer, 'invoice preview');
    if (consumer === undefined) throw new ConsumerRequired();
    const preview = await invoicePreviews(consumer);
    if (!preview) throw new UnknownConsumer(consumer);
    return preview;
  });
};
