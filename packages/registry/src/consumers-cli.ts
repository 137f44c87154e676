// `npm run consumers -- import FILE`: imports consumers (JSON array, or CSV with a header row)
// into the registry table the enricher reads.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  clickHouseSettingsFromEnv,
  cliHelp,
  ConfigError,
  createClickHouseClient,
  credentialHmacKeyFromEnv,
  EnvReader,
  parseCommandLine,
  resolveCredentialHmacKey,
  terminalProgress,
  type CliSpec,
  type ProgressStream,
} from '@tollgate/platform';
import { migrate, migrationTargetFromEnv } from '@tollgate/schemas';
import { parseConsumerImport } from './consumer-import.ts';
import { writeApiKeys } from './api-keys.ts';
import { writeConsumers } from './consumer-table.ts';

const CLI: CliSpec = {
  command: 'npm run consumers --',
  summary:
    'Imports consumers into the registry the enricher and billing read: a JSON array of objects, or a CSV file with a header row. Rows with a problem are listed (CSV line, JSON index) and left out, and the exit code is then 1.',
  positionals: 'import FILE',
  options: {},
  examples: ['npm run consumers -- import consumers.csv', 'npm run consumers -- import ./export/consumers.json'],
  notes: [
    'Columns/fields: consumer_id (required), org_id, name, email, plan_id, stripe_customer_id, tags, metadata, status (active|suspended), blocked_apis, api_keys.',
    "api_keys are stored only as the tap's credential HMAC: the key is TAP_HMAC_KEY, or the file <TAP_SPOOL_DIR>/hmac.key.",
    'ClickHouse: CLICKHOUSE_URL or the embedded engine in CLICKHOUSE_DATA_DIR (stop a running npm start first), database CLICKHOUSE_DATABASE.',
  ],
};

/** Rows between two progress lines of an import on a terminal. */
const PROGRESS_EVERY_ROWS = 1_000;

/** `progress` (process.stderr) gets "imported 3000/12000 consumers" while it is a terminal. */
export async function runConsumersCli(argv: string[], env: NodeJS.ProcessEnv, progressStream: ProgressStream = process.stderr): Promise<number> {
  const args = parseCommandLine(CLI, argv);
  if (!args.ok) return args.exitCode;
  const [command, file, ...extra] = args.positionals;
  if (command !== 'import' || !file || extra.length > 0) {
    console.error(command === undefined ? 'npm run consumers --: missing command' : command !== 'import' ? `npm run consumers --: unknown command "${command}"` : !file ? 'npm run consumers --: import needs a FILE' : `npm run consumers --: unexpected arguments ${extra.join(' ')}`);
    console.error(cliHelp(CLI));
    return 2;
  }
  const reader = new EnvReader(env);
  const settings = clickHouseSettingsFromEnv(env, reader);
  const target = migrationTargetFromEnv(reader, settings.database);
  const hmacKeySource = credentialHmacKeyFromEnv(reader);
  reader.done();

  // npm runs workspace scripts in the workspace folder; a relative path means the caller's folder.
  const path = resolve(env.INIT_CWD ?? process.cwd(), file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    console.error(`cannot read ${path}: ${(error as Error).message}`);
    return 1;
  }
  const { consumers, apiKeys, errors } = parseConsumerImport(text, file.toLowerCase().endsWith('.csv') ? 'csv' : 'json');
  for (const e of errors) console.error(`${e.line !== undefined ? `line ${e.line}` : `item ${e.index ?? '?'}`}: ${e.reason}`);

  const client = await createClickHouseClient(settings);
  const progress = terminalProgress({ stream: progressStream, every: PROGRESS_EVERY_ROWS, describe: (done, total) => `imported ${done}/${total} consumers` });
  try {
    await migrate(client, target);
    await writeConsumers(client, settings.database, consumers, (done, total) => progress.update(done, total));
    progress.finish();
    if (apiKeys.length > 0) await writeApiKeys(client, settings.database, await resolveCredentialHmacKey(hmacKeySource.key, hmacKeySource.file), apiKeys);
  } catch (error) {
    progress.finish();
    const message = (error as Error).message;
    console.error(
      /lock|already in use|locked/i.test(message)
        ? `the embedded ClickHouse data folder ${settings.dataDir} is held by a running Tollgate process; stop it or import through that process`
        : `import failed: ${message}`,
    );
    return 1;
  } finally {
    await client.close();
  }
  console.log(`imported ${consumers.length} consumers${apiKeys.length > 0 ? ` and ${apiKeys.length} API keys` : ''}${errors.length > 0 ? `; ${errors.length} rows rejected (see above)` : ''}`);
  return errors.length > 0 ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runConsumersCli(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof ConfigError ? error.message : error);
      process.exit(1);
    },
  );
}
