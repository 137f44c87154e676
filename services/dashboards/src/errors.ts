// The dashboard service's own error codes, each defined once (shared ones — unauthorized,
// forbidden — are platform's; invalid_parameter is ParamError in queries/params.ts).
import { defineError } from '@tollgate/platform';

/** 504: the query ran past DASHBOARD_QUERY_TIMEOUT_MS and ClickHouse stopped it (max_execution_time). */
export const QueryTimeout = defineError('query_timeout', 504, (limitMs: number) => `the query ran longer than ${limitMs} ms (DASHBOARD_QUERY_TIMEOUT_MS) and was stopped; narrow the time range or the filters`);
export const UnknownQuery = defineError('unknown_query', 404, (name: string) => `no query named ${JSON.stringify(name)}; GET /v1/queries lists them`);
export const BillingNotConfigured = defineError('billing_not_configured', 503, () => 'invoice previews need DASHBOARD_BILLING_URL and DASHBOARD_BILLING_TOKEN (billing is not configured for this dashboard)');
export const BillingUnavailable = defineError('billing_unavailable', 502, (detail: string) => `billing did not answer the invoice preview: ${detail}`);
export const UnknownConsumer = defineError('unknown_consumer', 404, (id: string) => `no consumer ${JSON.stringify(id)} in the registry`);
export const ConsumerRequired = defineError('invalid_parameter', 400, () => 'parameter consumer: required with an admin token');
