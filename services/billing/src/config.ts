// Billing's configuration, read once from the environment at start-up.
import { Cron } from 'croner';
import { catalogFileFromEnv } from '@tollgate/catalog';
import {
  checkTokenRoles,
  clickHouseSettingsFromEnv,
  credentialHmacKeyFromEnv,
  EnvReader,
  kafkaSettingsFromEnv,
  type KafkaSettings,
  parseConsumerTokens,
  readTokens,
  stripeSettingsFromEnv,
  type ClickHouseSettings,
  type CredentialHmacKeySource,
  type Env,
  type StripeSettings,
} from '@tollgate/platform';
import { DEFAULT_PLANS_FILE } from '@tollgate/pricing';
import { migrationTargetFromEnv, type MigrationTarget } from '@tollgate/schemas';

export interface BillingConfig {
  host: string;
  port: number;
  adminTokens: string[];
  /** BILLING_CONSUMER_TOKENS: token → consumer id; such a token reads only its consumer's invoice preview. */
  consumerTokens: ReadonlyMap<string, string>;
  /** Tokens gateways present to /v1/quota (admin tokens work too) and /v1/authorize. */
  gatewayTokens: string[];
  /**
   * BILLING_GATEWAY_AUTH (default on): the gateway routes demand a gateway token, and with none
   * configured /v1/authorize refuses everything (fail closed). `off` opens them, for a trusted network.
   */
  gatewayAuth: boolean;
  plansFile: string;
  clickhouse: ClickHouseSettings;
  migrations: MigrationTarget;
  /** Undefined when neither STRIPE_SECRET_KEY nor STRIPE_API_BASE is set: dry runs only. */
  stripe: StripeSettings | undefined;
  webhookSecret: string | undefined;
  /** Cron expression (UTC) for automatic runs of the previous month; 'off' disables. */
  schedule: string;
  autoAdvance: boolean;
  stripeConcurrency: number;
  consumerHeader: string;
  /** BILLING_API_KEY_HEADERS, lower-case: headers of the original call that carry an API key (the `api_key` query parameter too). */
  apiKeyHeaders: string[];
  /** BILLING_UNKNOWN_CONSUMER; undefined (unset): deny once any API key exists in the registry, allow before. */
  unknownConsumer: 'allow' | 'deny' | undefined;
  /** BILLING_REPLICAS: deciding processes behind the gateway; each enforces its share of every rate limit. */
  replicas: number;
  /** API_CATALOG_FILE: the enricher's catalog, naming the API product of a call. */
  catalogFile: string | undefined;
  /** The tap's credential HMAC key (TAP_HMAC_KEY or <TAP_SPOOL_DIR>/hmac.key): API keys are looked up by it. */
  credentialHmacKey: CredentialHmacKeySource;
  quotaRefreshMs: number;
  webhooks: WebhookSettings;
  /** BILLING_LEASE=kafka: replicas share a run lease (lease/kafka-lease.ts); undefined (off): this process runs every schedule it fires. */
  lease: LeaseSettings | undefined;
}

/** The run lease between billing replicas (docs/operations.md, billing replicas). */
export interface LeaseSettings {
  kafka: KafkaSettings;
  /** BILLING_LEASE_TOPIC: the single-partition, compacted topic that is the lease and the run log. */
  topic: string;
  /** BILLING_LEASE_GROUP: the consumer group every replica joins. */
  groupId: string;
  /** BILLING_LEASE_TIMEOUT_MS: the group session timeout, after which a crashed holder's lease passes on. */
  timeoutMs: number;
}

/** The outgoing webhook outbox (webhooks/outbox.ts) and usage alerts (usage-alerts.ts). */
export interface WebhookSettings {
  /** BILLING_WEBHOOK_RETRY_BASE_MS: wait before the first retry (doubling, with jitter). */
  retryBaseMs: number;
  /** BILLING_WEBHOOK_RETRY_MAX_MS: longest wait between attempts. */
  retryMaxMs: number;
  /** BILLING_WEBHOOK_POLL_MS: how often pending deliveries are looked up. */
  pollMs: number;
  /** BILLING_WEBHOOK_TIMEOUT_MS: per delivery request. */
  timeoutMs: number;
  /** BILLING_ALERTS_USAGE_REFRESH_MS: how often included-units and spend alerts re-read usage per meter. */
  alertsUsageRefreshMs: number;
}

export const DEFAULT_API_KEY_HEADERS = ['x-api-key', 'apikey'];

/** `requireAdminTokens: false` for the CLI, which runs without serving the admin API. */
export function billingConfigFromEnv(env: Env, { requireAdminTokens = true } = {}): BillingConfig {
  const r = new EnvReader(env);
  const clickhouse = clickHouseSettingsFromEnv(env, r);
  let stripe: StripeSettings | undefined;
  if (env.STRIPE_SECRET_KEY || env.STRIPE_API_BASE) {
    try {
      stripe = stripeSettingsFromEnv(env);
    } catch (error) {
      r.problem((error as Error).message);
    }
  }
  const schedule = r.string('BILLING_SCHEDULE', '0 2 1 * *');
  if (schedule !== 'off') {
    try {
      new Cron(schedule, { paused: true, timezone: 'UTC' }).stop();
    } catch (error) {
      r.problem(`BILLING_SCHEDULE=${schedule} is not a cron expression: ${(error as Error).message}`);
    }
  }
  const lease: LeaseSettings | undefined =
    r.oneOf('BILLING_LEASE', ['off', 'kafka'] as const, 'off') === 'kafka'
      ? {
          kafka: kafkaSettingsFromEnv(env, 'tollgate-billing-lease', r),
          topic: r.string('BILLING_LEASE_TOPIC', 'tollgate.billing.lease'),
          groupId: r.string('BILLING_LEASE_GROUP', 'tollgate-billing-lease'),
          // The broker's default group.min.session.timeout.ms is 6 s.
          timeoutMs: r.int('BILLING_LEASE_TIMEOUT_MS', 30_000, { min: 6_000, max: 1_800_000 }),
        }
      : undefined;
  const config: BillingConfig = {
    host: r.string('BILLING_HOST', '127.0.0.1'),
    port: r.int('BILLING_PORT', 8702, { min: 0, max: 65_535 }),
    adminTokens: readTokens(r, 'BILLING_ADMIN_TOKENS'),
    consumerTokens: parseConsumerTokens(r, 'BILLING_CONSUMER_TOKENS'),
    gatewayTokens: readTokens(r, 'BILLING_GATEWAY_TOKENS'),
    gatewayAuth: r.bool('BILLING_GATEWAY_AUTH', true),
    plansFile: r.string('BILLING_PLANS_FILE', DEFAULT_PLANS_FILE),
    clickhouse,
    migrations: migrationTargetFromEnv(r, clickhouse.database),
    stripe,
    webhookSecret: r.string('STRIPE_WEBHOOK_SECRET'),
    schedule,
    autoAdvance: r.bool('BILLING_AUTO_ADVANCE', true),
    stripeConcurrency: r.int('BILLING_STRIPE_CONCURRENCY', 4, { min: 1, max: 64 }),
    consumerHeader: r.string('BILLING_CONSUMER_HEADER', 'x-consumer-id').toLowerCase(),
    apiKeyHeaders: r.list('BILLING_API_KEY_HEADERS', DEFAULT_API_KEY_HEADERS).map((h) => h.toLowerCase()),
    unknownConsumer: r.string('BILLING_UNKNOWN_CONSUMER') === undefined ? undefined : r.oneOf('BILLING_UNKNOWN_CONSUMER', ['allow', 'deny'] as const, 'deny'),
    replicas: r.int('BILLING_REPLICAS', 1, { min: 1, max: 10_000 }),
    catalogFile: catalogFileFromEnv(r),
    credentialHmacKey: credentialHmacKeyFromEnv(r),
    quotaRefreshMs: r.int('QUOTA_REFRESH_MS', 5_000, { min: 250, max: 3_600_000 }),
    webhooks: {
      retryBaseMs: r.int('BILLING_WEBHOOK_RETRY_BASE_MS', 10_000, { min: 1, max: 3_600_000 }),
      retryMaxMs: r.int('BILLING_WEBHOOK_RETRY_MAX_MS', 3_600_000, { min: 1, max: 86_400_000 }),
      pollMs: r.int('BILLING_WEBHOOK_POLL_MS', 1_000, { min: 10, max: 600_000 }),
      timeoutMs: r.int('BILLING_WEBHOOK_TIMEOUT_MS', 10_000, { min: 100, max: 120_000 }),
      alertsUsageRefreshMs: r.int('BILLING_ALERTS_USAGE_REFRESH_MS', 60_000, { min: 0, max: 86_400_000 }),
    },
    lease,
  };
  checkTokenRoles(r, config.adminTokens, config.consumerTokens, 'BILLING_ADMIN_TOKENS', 'BILLING_CONSUMER_TOKENS');
  if (requireAdminTokens && config.adminTokens.length === 0) r.problem('BILLING_ADMIN_TOKENS is required: bearer tokens for /v1/admin/* (consumers, runs)');
  r.done();
  return config;
}
