// `npm run migrate`: applies the ClickHouse migrations to CLICKHOUSE_DATABASE.
import { clickHouseSettingsFromEnv, createClickHouseClient, describeClickHouse, EnvReader } from '@tollgate/platform';
import { migrate } from './migrations.ts';
import { migrationTargetFromEnv } from './target.ts';

const reader = new EnvReader(process.env);
const settings = clickHouseSettingsFromEnv(process.env, reader);
const target = migrationTargetFromEnv(reader, settings.database);
reader.done();

const client = await createClickHouseClient(settings);
try {
  const report = await migrate(client, target);
  console.log(`${describeClickHouse(settings)}, database ${target.database}${target.cluster ? ` on cluster ${target.cluster}` : ''}`);
  console.log(`applied: ${report.applied.join(', ') || 'none'}; already applied: ${report.skipped.length}`);
} finally {
  await client.close();
}
