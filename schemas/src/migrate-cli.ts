// `npm run migrate`: applies the ClickHouse migrations to CLICKHOUSE_DATABASE (or, with --dry-run,
// lists the ones it would apply and changes nothing).
import { clickHouseSettingsFromEnv, ConfigError, createClickHouseClient, describeClickHouse, EnvReader, parseCommandLine, type CliSpec } from '@tollgate/platform';
import { migrate, pendingMigrations } from './migrations.ts';
import { migrationTargetFromEnv } from './target.ts';

const CLI: CliSpec = {
  command: 'npm run migrate --',
  summary: 'Applies the numbered ClickHouse migrations of schemas/clickhouse that the database has not recorded yet, in order, and lists what it applied.',
  options: { 'dry-run': { type: 'boolean', description: 'list the migrations that would be applied; change nothing' } },
  examples: ['npm run migrate', 'npm run migrate -- --dry-run', 'CLICKHOUSE_URL=http://clickhouse:8123 CLICKHOUSE_CLUSTER=main npm run migrate'],
  notes: ['ClickHouse: CLICKHOUSE_URL (a server) or the embedded engine in CLICKHOUSE_DATA_DIR; database CLICKHOUSE_DATABASE; CLICKHOUSE_CLUSTER renders ON CLUSTER DDL.'],
};

async function main(argv: string[]): Promise<number> {
  const args = parseCommandLine(CLI, argv);
  if (!args.ok) return args.exitCode;
  const reader = new EnvReader(process.env);
  const settings = clickHouseSettingsFromEnv(process.env, reader);
  const target = migrationTargetFromEnv(reader, settings.database);
  reader.done();

  const client = await createClickHouseClient(settings);
  try {
    const where = `${describeClickHouse(settings)}, database ${target.database}${target.cluster ? ` on cluster ${target.cluster}` : ''}`;
    if (args.values['dry-run']) {
      const pending = await pendingMigrations(client, target);
      console.log(`${where}: ${pending.length} to apply${pending.length > 0 ? `: ${pending.map((m) => m.name).join(', ')}` : ''} (dry run: nothing changed)`);
      return 0;
    }
    const report = await migrate(client, target);
    console.log(where);
    console.log(`applied: ${report.applied.join(', ') || 'none'}; already applied: ${report.skipped.length}`);
    return 0;
  } finally {
    await client.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : `migrate failed: ${(error as Error).message}`);
    process.exit(1);
  },
);
