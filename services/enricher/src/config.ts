// The enricher's configuration, read once from the environment at start-up.
import {
  clickHouseSettingsFromEnv,
  EnvReader,
  kafkaSettingsFromEnv,
  readTokens,
  type ClickHouseSettings,
  type Env,
  type KafkaSettings,
} from '@tollgate/platform';
import { migrationTargetFromEnv, type MigrationTarget } from '@tollgate/schemas';
import { catalogFileFromEnv } from '@tollgate/catalog';
import type { BlockList } from 'node:net';
import { parseTrustedProxies } from './enrich/client-ip.ts';
import { assertIpPrivacyPolicy, type IpPrivacyPolicy } from './enrich/ip-privacy.ts';

export interface EnricherConfig {
  host: string;
  port: number;
  kafka: KafkaSettings;
  clickhouse: ClickHouseSettings;
  migrations: MigrationTarget;
  topic: string;
  dlqTopic: string;
  groupId: string;
  batch: { maxBytesPerPartition: number; minBytes: number; maxWaitMs: number; partitionsConcurrently: number };
  /** How long the group waits for a silent member before giving its partitions to others. */
  sessionTimeoutMs: number;
  /**
   * How long a rebalance waits for every member to rejoin. A member killed during a rebalance is
   * dropped only when it expires, so the whole group (every partition) waits that long.
   */
  rebalanceTimeoutMs: number;
  adminTokens: string[];
  trustedProxies: BlockList;
  ipPrivacy: IpPrivacyPolicy;
  catalogFile: string | undefined;
  registryRefreshMs: number;
}

const MiB = 1024 * 1024;

export function enricherConfigFromEnv(env: Env): EnricherConfig {
  const r = new EnvReader(env);
  const clickhouse = clickHouseSettingsFromEnv(env, r);
  const mode = r.oneOf('IP_PRIVACY', ['truncate', 'hash'] as const, 'truncate');
  let ipPrivacy: IpPrivacyPolicy = {
    mode: 'truncate',
    ipv4Prefix: r.int('IP_V4_PREFIX', 24, { min: 0, max: 24 }),
    ipv6Prefix: r.int('IP_V6_PREFIX', 48, { min: 0, max: 64 }),
  };
  if (mode === 'hash') {
    const key = r.required('IP_HASH_KEY', 'IP_PRIVACY=hash needs a secret of at least 16 bytes');
    ipPrivacy = { mode: 'hash', key: Buffer.from(key, 'utf8') };
  }
  try {
    assertIpPrivacyPolicy(ipPrivacy);
  } catch (error) {
    r.problem((error as Error).message);
  }
  let trustedProxies = parseTrustedProxies([]);
  try {
    trustedProxies = parseTrustedProxies(r.string('TRUSTED_PROXIES', ''));
  } catch (error) {
    r.problem(`TRUSTED_PROXIES: ${(error as Error).message}`);
  }
  const config: EnricherConfig = {
    host: r.string('ENRICHER_HOST', '127.0.0.1'),
    port: r.int('ENRICHER_PORT', 8701, { min: 0, max: 65_535 }),
    kafka: kafkaSettingsFromEnv(env, 'tollgate-enricher', r),
    clickhouse,
    migrations: migrationTargetFromEnv(r, clickhouse.database),
    topic: r.string('ENRICHER_TOPIC', r.string('TAP_TOPIC', 'api-requests.v1')),
    dlqTopic: r.string('ENRICHER_DLQ_TOPIC', 'api-requests.dlq'),
    groupId: r.string('ENRICHER_GROUP_ID', 'tollgate-enricher'),
    batch: {
      maxBytesPerPartition: r.int('ENRICHER_BATCH_MAX_BYTES', 8 * MiB, { min: 64 * 1024, max: 256 * MiB }),
      minBytes: r.int('ENRICHER_BATCH_MIN_BYTES', 256 * 1024, { min: 1, max: 256 * MiB }),
      maxWaitMs: r.int('ENRICHER_BATCH_MAX_WAIT_MS', 250, { min: 10, max: 60_000 }),
      partitionsConcurrently: r.int('ENRICHER_PARTITIONS_CONCURRENTLY', 2, { min: 1, max: 64 }),
    },
    sessionTimeoutMs: r.int('ENRICHER_SESSION_TIMEOUT_MS', 30_000, { min: 6_000, max: 300_000 }),
    rebalanceTimeoutMs: r.int('ENRICHER_REBALANCE_TIMEOUT_MS', 60_000, { min: 6_000, max: 600_000 }),
    adminTokens: readTokens(r, 'ENRICHER_ADMIN_TOKENS'),
    trustedProxies,
    ipPrivacy,
    catalogFile: catalogFileFromEnv(r),
    registryRefreshMs: r.int('REGISTRY_REFRESH_MS', 30_000, { min: 1_000, max: 86_400_000 }),
  };
  r.done();
  return config;
}
