import type { EnvReader } from '@tollgate/platform';
import type { MigrationTarget } from './migrations.ts';

export function migrationTargetFromEnv(reader: EnvReader, database: string): MigrationTarget {
  return {
    database,
    cluster: reader.string('CLICKHOUSE_CLUSTER'),
    usageRetentionDays: reader.int('USAGE_RETENTION_DAYS', 400, { min: 1, max: 36_500 }),
    minuteRollupRetentionDays: reader.int('USAGE_MINUTE_RETENTION_DAYS', 35, { min: 1, max: 36_500 }),
    latencyRetentionDays: reader.int('LATENCY_RETENTION_DAYS', 30, { min: 1, max: 36_500 }),
  };
}
