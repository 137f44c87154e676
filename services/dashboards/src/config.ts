// The dashboard service's configuration, read once from the environment at start-up.
import { checkTokenRoles, clickHouseSettingsFromEnv, EnvReader, parseConsumerTokens, readTokens, type ClickHouseSettings, type Env } from '@tollgate/platform';
import { DEFAULT_PLANS_FILE } from '@tollgate/pricing';
import { migrationTargetFromEnv, type MigrationTarget } from '@tollgate/schemas';

export interface DashboardConfig {
  host: string;
  port: number;
  clickhouse: ClickHouseSettings;
  migrations: MigrationTarget;
  plansFile: string;
  /** QUERY_TOKENS: admin tokens, which may run every query. */
  adminTokens: string[];
  /** QUERY_CONSUMER_TOKENS: token → consumer id; such a token reads only GET /v1/usage of its consumer. */
  consumerTokens: ReadonlyMap<string, string>;
  /** DASHBOARD_QUERY_TIMEOUT_MS: ClickHouse stops a query running longer (max_execution_time). */
  queryTimeoutMs: number;
  /**
   * DASHBOARD_BILLING_URL + DASHBOARD_BILLING_TOKEN (a billing admin token): where the console reads
   * invoice previews (GET /v1/invoice-preview). Absent: that route answers 503 billing_not_configured.
   */
  billing?: { url: string; token: string };
}

export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

export function dashboardConfigFromEnv(env: Env): DashboardConfig {
  const r = new EnvReader(env);
  const clickhouse = clickHouseSettingsFromEnv(env, r);
  const adminTokens = readTokens(r, 'QUERY_TOKENS');
  const consumerTokens = parseConsumerTokens(r, 'QUERY_CONSUMER_TOKENS');
  checkTokenRoles(r, adminTokens, consumerTokens, 'QUERY_TOKENS', 'QUERY_CONSUMER_TOKENS');
  const config: DashboardConfig = {
    host: r.string('DASHBOARD_HOST', '127.0.0.1'),
    port: r.int('DASHBOARD_PORT', 8703, { min: 0, max: 65_535 }),
    clickhouse,
    migrations: migrationTargetFromEnv(r, clickhouse.database),
    plansFile: r.string('BILLING_PLANS_FILE', DEFAULT_PLANS_FILE),
    adminTokens,
    consumerTokens,
    queryTimeoutMs: r.int('DASHBOARD_QUERY_TIMEOUT_MS', DEFAULT_QUERY_TIMEOUT_MS, { min: 1, max: 3_600_000 }),
  };
  const billingUrl = r.url('DASHBOARD_BILLING_URL');
  if (billingUrl) config.billing = { url: billingUrl.href.replace(/\/$/, ''), token: r.required('DASHBOARD_BILLING_TOKEN', 'DASHBOARD_BILLING_URL is set: the console reads invoice previews with it') };
  r.done();
  return config;
}
