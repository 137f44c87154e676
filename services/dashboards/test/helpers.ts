import { pino } from 'pino';
import { responseChecker, type OpenApiDocument } from '@tollgate/platform/testing';
import { migrate } from '@tollgate/schemas';
import { REPO_ROOT } from '../../../test/harness/infra.ts';
import { testClickHouse, type TestClickHouse } from '../../../test/harness/clickhouse.ts';
import { dashboardConfigFromEnv, type DashboardConfig } from '../src/config.ts';
import { startDashboard, type DashboardService } from '../src/service.ts';
import { writeTestPlans } from './seed.ts';

export const ADMIN_TOKEN = 'admin-token-0123456789';
export const ALICE_TOKEN = 'alice-token-0123456789';

export interface TestDashboard {
  ch: TestClickHouse;
  config: DashboardConfig;
  service: DashboardService;
  get(path: string, token?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

export interface TestDashboardOptions {
  /** Extra environment, e.g. DASHBOARD_BILLING_URL; may be computed by the seed step. */
  env?: () => Record<string, string>;
}

/** A migrated test database, with `seedIt` run before the service starts. */
export async function startTestDashboard(prefix: string, seedIt: (ch: TestClickHouse) => Promise<void>, options: TestDashboardOptions = {}): Promise<TestDashboard> {
  const ch = await testClickHouse(prefix);
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
  await seedIt(ch);
  const config = dashboardConfigFromEnv({
    ...process.env,
    CLICKHOUSE_DATABASE: ch.database,
    CLICKHOUSE_DATA_DIR: ch.dataDir,
    DASHBOARD_PORT: '0',
    QUERY_TOKENS: ADMIN_TOKEN,
    QUERY_CONSUMER_TOKENS: `${ALICE_TOKEN}:alice`,
    BILLING_PLANS_FILE: writeTestPlans(`${REPO_ROOT}.local/test-dashboards/${ch.database}`),
    ...options.env?.(),
  });
  const service = await startDashboard(config, ch.client, pino({ level: 'warn' }));
  // Every answer `get` reads is held to the service's own OpenAPI document.
  const check = responseChecker((await (await fetch(`${service.url}/openapi.json`)).json()) as OpenApiDocument);
  return {
    ch,
    config,
    service,
    async get(path, token = ADMIN_TOKEN) {
      const response = await fetch(`${service.url}${path}`, { headers: token === '' ? {} : { authorization: `Bearer ${token}` } });
      const text = await response.text();
      check('GET', path, { statusCode: response.status, headers: { 'content-type': response.headers.get('content-type') ?? undefined }, body: text });
      return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
    },
    async close() {
      await service.close();
      await ch.client.command({ query: `DROP DATABASE IF EXISTS ${ch.database}` });
      await ch.client.close();
    },
  };
}
