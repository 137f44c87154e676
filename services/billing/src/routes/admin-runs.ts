// /v1/admin/runs: start a billing run (the CLI hands its runs here while the service holds the
// data) and read a period's runs and invoices. /v1/admin/reconcile: a period's reconciliation with
// Stripe (reconcile.ts; the CLI's `reconcile` hands it here the same way). Bodies and query strings are validated by schema;
// a bad period answers invalid_period, a bad customer invalid_customer. A real run of the current
// or a future period needs `force: true` (409 period_not_closed without it).
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, NotConfigured, requireBearer } from '@tollgate/platform';
import { PeriodNotClosed } from '../errors.ts';
import type { Ledger } from '../ledger.ts';
import type { ReconcileResult } from '../reconcile.ts';
import { openPeriodRefusal } from '../open-period.ts';
import type { RunOptions, RunResult } from '../run.ts';
import { RECONCILE_RESULT, RUN_RESULT, RUNS_AND_INVOICES } from './answers.ts';
import { PERIOD_SCHEMA as period, schemaErrorFormatter } from './formats.ts';

export interface AdminRunRoutesOptions {
  ledger: Ledger;
  run: (options: RunOptions) => Promise<RunResult>;
  /** Absent when Stripe is not configured. */
  reconcile: ((period: string, customer?: string) => Promise<ReconcileResult>) | undefined;
  adminTokens: readonly string[];
  /** The clock that says which period is still open; the wall clock unless a test injects one. */
  now?: () => Date;
}

interface RunBody {
  period: string;
  customer?: string;
  dry_run?: boolean;
  force?: boolean;
}

const admin = { tags: ['admin: billing runs'], security: [{ bearer: [] }] };
const refusals = errorResponses({ 400: 'invalid_period, invalid_customer or bad_request' }, { 401: 'an admin token is required' });

export const adminRunRoutes: FastifyPluginAsync<AdminRunRoutesOptions> = async (app, o) => {
  app.addHook('onRequest', requireBearer(o.adminTokens));

  app.post<{ Body: RunBody }>(
    '/v1/admin/runs',
    {
      schema: {
        ...admin,
        summary: 'Run billing for a period',
        description: 'A real run of the current or a future period needs force: true.',
        body: {
          type: 'object',
          required: ['period'],
          properties: {
            period: { ...period, description: 'YYYY-MM' },
            customer: { type: 'string', description: 'only this consumer' },
            dry_run: { type: 'boolean', default: false, description: 'price without invoicing' },
            force: { type: 'boolean', default: false, description: 'run a period that has not ended' },
          },
        },
        response: { 200: RUN_RESULT, ...refusals, ...errorResponses({ 409: 'period_not_closed: the period has not ended (force: true runs it anyway)' }) },
      },
      schemaErrorFormatter,
    },
    async (request) => {
      const { period: name, customer, dry_run, force } = request.body;
      const refusal = force === true ? undefined : openPeriodRefusal(name, dry_run === true, (o.now ?? (() => new Date()))());
      if (refusal) throw new PeriodNotClosed(refusal);
      return o.run({ period: name, ...(customer ? { customer } : {}), dryRun: dry_run === true, trigger: 'api' });
    },
  );

  app.get<{ Querystring: { period: string } }>(
    '/v1/admin/runs',
    { schema: { ...admin, summary: "A period's runs and invoices", querystring: { type: 'object', required: ['period'], properties: { period } }, response: { 200: RUNS_AND_INVOICES, ...refusals } }, schemaErrorFormatter },
    async (request) => {
      const { period: name } = request.query;
      const invoices = [...(await o.ledger.invoices(name)).values()].map((i) => ({ ...i, amount_minor: Number(i.amount_minor), lost_revenue_minor: Number(i.lost_revenue_minor), usage_requests: Number(i.usage_requests) }));
      return { runs: await o.ledger.runs(name), invoices };
    },
  );

  app.get<{ Querystring: { period: string; customer?: string } }>(
    '/v1/admin/reconcile',
    {
      schema: {
        ...admin,
        summary: "Reconcile a period's invoices with Stripe",
        querystring: { type: 'object', required: ['period'], properties: { period, customer: { type: 'string', minLength: 1 } } },
        response: { 200: RECONCILE_RESULT, ...refusals, ...errorResponses({ 503: 'not_configured: Stripe is not configured' }) },
      },
      schemaErrorFormatter,
    },
    async (request) => {
      if (!o.reconcile) throw new NotConfigured('Stripe is not configured (STRIPE_SECRET_KEY or STRIPE_API_BASE): there is nothing to reconcile with');
      return o.reconcile(request.query.period, request.query.customer);
    },
  );
};
