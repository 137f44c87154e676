// `npm start`: the main job on the embedded default. Starts the local Kafka broker (unless
// KAFKA_BROKERS names a cluster), opens ClickHouse, applies the migrations and reports what runs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  clickHouseSettingsFromEnv,
  ConfigError,
  createClickHouseClient,
  describeClickHouse,
  EnvReader,
  kafkaSettingsFromEnv,
} from '@tollgate/platform';
import { migrate, migrationTargetFromEnv } from '@tollgate/schemas';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

async function main(): Promise<void> {
  const reader = new EnvReader(process.env);
  const clickhouse = clickHouseSettingsFromEnv(process.env, reader);
  const kafka = kafkaSettingsFromEnv(process.env, 'tollgate-stack', reader);
  const target = migrationTargetFromEnv(reader, clickhouse.database);
  reader.done();

  if (!process.env.KAFKA_BROKERS) {
    execFileSync('bash', [`${REPO_ROOT}deploy/local/kafka.sh`, 'start'], { stdio: 'inherit' });
  }
  const client = await createClickHouseClient(clickhouse);
  try {
    const report = await migrate(client, target);
    console.log(`ClickHouse: ${describeClickHouse(clickhouse)}, database ${target.database} (migrations applied: ${report.applied.length}, already there: ${report.skipped.length})`);
    console.log(`Kafka: ${kafka.brokers.join(',')}`);
    console.log('Tollgate foundation is up. The tap, enricher, billing and dashboard services are not yet wired into `npm start`.');
  } finally {
    await client.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
