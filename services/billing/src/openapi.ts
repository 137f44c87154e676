// Billing's OpenAPI document without running billing: the app is built with dependencies that
// describing it never calls (docs/openapi/billing.json is written from this).
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { openApiDocument, unusedDependency } from '@tollgate/platform';
import { buildBillingApp, type BillingAppOptions } from './app.ts';

export async function describeBillingApi(): Promise<Record<string, unknown>> {
  const unused = <K extends keyof BillingAppOptions>(name: K) => unusedDependency<BillingAppOptions[K]>(name);
  return openApiDocument(
    buildBillingApp({
      client: unused('client'),
      database: 'unused',
      plans: unused('plans'),
      ledger: unused('ledger'),
      quota: unused('quota'),
      policy: unused('policy'),
      adminTokens: [],
      consumerTokens: new Map(),
      gatewayAuth: { enabled: true, tokens: [] },
      consumerHeader: 'x-consumer',
      apiKeyHeaders: [],
      replicas: 1,
      hmacKey: 'unused',
      hooks: unused('hooks'),
      webhookSecret: undefined,
      webhookEndpoints: unused('webhookEndpoints'),
      webhooks: unused('webhooks'),
      run: unused('run'),
      reconcile: undefined,
      registry: new Registry(),
      log: pino({ level: 'silent' }),
    }),
  );
}
