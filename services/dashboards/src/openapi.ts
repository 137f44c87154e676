// The dashboards' OpenAPI document without running them: the app is built with dependencies that
// describing it never calls (docs/openapi/dashboards.json is written from this).
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { openApiDocument, unusedDependency } from '@tollgate/platform';
import { buildDashboardApp, type DashboardAppOptions } from './app.ts';
import { consoleRoutesOnly } from './console-assets.ts';

export async function describeDashboardsApi(): Promise<Record<string, unknown>> {
  const ctx: DashboardAppOptions['ctx'] = {
    client: unusedDependency('client'),
    database: 'unused',
    plans: unusedDependency('plans'),
    retention: unusedDependency('retention'),
    now: () => new Date(0),
  };
  return openApiDocument(
    buildDashboardApp({ ctx, authenticate: () => undefined, registry: new Registry(), readiness: unusedDependency('readiness'), log: pino({ level: 'silent' }), queryTimeoutMs: 1, invoicePreviews: unusedDependency('invoicePreviews'), assets: consoleRoutesOnly() }),
  );
}
