// `npm run consumers -- import FILE`: imports consumers (JSON array, or CSV with a header row)
// into the registry table the enricher reads.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { clickHouseSettingsFromEnv, ConfigError, createClickHouseClient, credentialHmacKeyFromEnv, EnvReader, resolveCredentialHmacKey } from '@tollgate/platform';
import { migrate, migrationTargetFromEnv } from '@tollgate/schemas';
import { parseConsumerImport } from './consumer-import.ts';
import { writeApiKeys } from './api-keys.ts';
import { writeConsumers } from './consumer-table.ts';

const USAGE = 'usage: npm run consumers -- import FILE   (FILE: .json array or .csv with a header row; an api_keys column is stored as HMACs under the tap\'s key: TAP_HMAC_KEY or <TAP_SPOOL_DIR>/hmac.key)';

export async function runConsumersCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, file] = argv;
  if (command !== 'import' || !file) {
    console.error(USAGE);
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
  try {
    await migrate(client, target);
    await writeConsumers(client, settings.database, consumers);
    if (apiKeys.length > 0) await writeApiKeys(client, settings.database, await resolveCredentialHmacKey(hmacKeySource.key, hmacKeySource.file), apiKeys);
  } catch (error) {
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
