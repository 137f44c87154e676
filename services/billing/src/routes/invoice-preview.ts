// GET /v1/consumers/{id}/invoice-preview[?period=YYYY-MM]: the invoice a billing run would make now
// for the consumer and period (default: the current period), with quota and included units used
// (invoice-preview.ts). Admin tokens read any consumer's; a consumer token (BILLING_CONSUMER_TOKENS)
// reads its own consumer's only, as on the dashboards' /v1/usage.
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { createAuthenticator, errorResponses, Forbidden, Unauthorized } from '@tollgate/platform';
import { parsePeriod, periodOf, type PlanCatalog } from '@tollgate/pricing';
import { UnknownConsumer } from '../errors.ts';
import { previewInvoice } from '../invoice-preview.ts';
import { INVOICE_PREVIEW } from './answers.ts';
import { PERIOD_SCHEMA, schemaErrorFormatter } from './formats.ts';

export interface InvoicePreviewRoutesOptions {
  client: ClickHouseClient;
  database: string;
  plans: PlanCatalog;
  adminTokens: readonly string[];
  consumerTokens: ReadonlyMap<string, string>;
  /** Which period is current; the wall clock unless a test injects one. */
  now?: () => Date;
}

export const invoicePreviewRoutes: FastifyPluginAsync<InvoicePreviewRoutesOptions> = async (app, o) => {
  const authenticate = createAuthenticator(o.adminTokens, o.consumerTokens);
  app.get<{ Params: { id: string }; Querystring: { period?: string } }>(
    '/v1/consumers/:id/invoice-preview',
    {
      schema: {
        tags: ['invoices'],
        summary: 'The invoice a billing run would make now',
        description: "Admin tokens read any consumer's; a consumer token reads its own consumer's only.",
        security: [{ bearer: [] }],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } },
        querystring: { type: 'object', properties: { period: { ...PERIOD_SCHEMA, description: 'YYYY-MM; the current period when absent' } }, additionalProperties: false },
        response: {
          200: INVOICE_PREVIEW,
          ...errorResponses({ 400: 'invalid_period or bad_request' }, 401, { 403: "a consumer token asked for another consumer's preview" }, { 404: 'unknown_consumer' }),
        },
      },
      schemaErrorFormatter,
      // Before validation: an unauthenticated caller learns nothing, not even that its query was malformed.
      onRequest: async (request) => {
        const caller = authenticate(request.headers.authorization);
        if (!caller) throw new Unauthorized();
        const id = (request.params as { id?: string }).id;
        if (caller.kind === 'consumer' && caller.consumerId !== id) throw new Forbidden('a consumer token reads its own invoice preview only');
      },
    },
    async (request) => {
      const period = request.query.period === undefined ? periodOf((o.now ?? (() => new Date()))()) : parsePeriod(request.query.period);
      const preview = await previewInvoice(o.client, o.database, o.plans, request.params.id, period);
      if (!preview) throw new UnknownConsumer(request.params.id);
      return preview;
    },
  );
};
