// The one place that knows whether ClickHouse is a real server or the embedded chDB engine.
// Everything else receives a plain @clickhouse/client and writes the same SQL for both.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ChdbExtension } from 'chdb/connection';
import { EnvReader, type Env } from './config.ts';

/** <repo>/.local/clickhouse, whichever workspace the process was started from. */
const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../.local/clickhouse', import.meta.url));

export interface ClickHouseSettings {
  /** Real server over HTTP; undefined selects the embedded engine. */
  url?: URL;
  user?: string;
  password?: string;
  database: string;
  /** Embedded engine's data folder (one per process: chDB binds a process to one folder). */
  dataDir: string;
}

export function clickHouseSettingsFromEnv(env: Env, reader = new EnvReader(env)): ClickHouseSettings {
  const url = reader.url('CLICKHOUSE_URL');
  const database = reader.string('CLICKHOUSE_DATABASE', 'tollgate');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    reader.problem(`CLICKHOUSE_DATABASE=${database} must be a plain identifier`);
  }
  return {
    url,
    user: reader.string('CLICKHOUSE_USER'),
    password: reader.string('CLICKHOUSE_PASSWORD'),
    database,
    dataDir: resolve(reader.string('CLICKHOUSE_DATA_DIR', DEFAULT_DATA_DIR)),
  };
}

export function describeClickHouse(settings: ClickHouseSettings): string {
  return settings.url ? `ClickHouse server ${settings.url.origin}` : `embedded chDB at ${settings.dataDir}`;
}

/**
 * The client is bound to no database, so the caller can create it; SQL names tables as
 * `db.table`. Settings common to both modes (dates as UTC) are set here.
 */
export async function createClickHouseClient(settings: ClickHouseSettings): Promise<ClickHouseClient> {
  const common = {
    clickhouse_settings: { date_time_output_format: 'iso' as const },
  };
  if (settings.url) {
    return createClient({
      ...common,
      url: settings.url.toString(),
      username: settings.user ?? 'default',
      password: settings.password ?? '',
      request_timeout: 60_000,
    });
  }
  mkdirSync(settings.dataDir, { recursive: true });
  // chdb is loaded only in embedded mode: a server deployment never touches the native addon.
  const { createChdbConnection } = await import('chdb/connection');
  // chdb types its connection against its own copy of @clickhouse/client-common; the runtime
  // contract is the same one (chdb's parity tests run clickhouse-js's own suite against it).
  let chdb: ReturnType<typeof createChdbConnection>;
  try {
    chdb = createChdbConnection({ path: settings.dataDir });
  } catch (error) {
    throw new EmbeddedClickHouseBusyError(settings.dataDir, error);
  }
  const connection = chdb as unknown as NonNullable<Parameters<typeof createClient>[0]>['connection'];
  const client = createClient({ ...common, connection });
  embeddedEngines.set(client, chdb.chdb);
  return client;
}

/** chDB's own surface (raw inserts), per client made for the embedded engine; absent for a server. */
const embeddedEngines = new WeakMap<ClickHouseClient, ChdbExtension>();

export interface RowsInsert {
  /** db.table */
  table: string;
  columns: readonly [string, ...string[]];
  /** One array per row, values in column order. */
  rows: readonly unknown[][];
  settings: Record<string, string | number | boolean>;
}

/**
 * Inserts row arrays as JSONCompactEachRow. On the embedded engine the rows go through chDB's raw
 * insert — a Buffer its own threads parse — rather than the client's insert, which chDB receives
 * as SQL text with the data appended: 70 000 against 42 000 rows/s for the enricher's rows
 * (docs/benchmarks.md). A server gets the client's ordinary insert.
 */
export async function insertRows(client: ClickHouseClient, insert: RowsInsert): Promise<void> {
  const engine = embeddedEngines.get(client);
  if (engine === undefined) {
    await client.insert({ table: insert.table, columns: [...insert.columns], values: [...insert.rows], format: 'JSONCompactEachRow', clickhouse_settings: insert.settings });
    return;
  }
  const lines = new Array<string>(insert.rows.length);
  for (let i = 0; i < insert.rows.length; i += 1) lines[i] = JSON.stringify(insert.rows[i]);
  await engine.rawInsert({ table: insert.table, columns: insert.columns, values: Buffer.from(`${lines.join('\n')}\n`), format: 'JSONCompactEachRow', settings: insert.settings });
}

/** The embedded engine's folder is held by another process: chDB binds one folder to one process. */
export class EmbeddedClickHouseBusyError extends Error {
  constructor(
    readonly dataDir: string,
    cause: unknown,
  ) {
    super(
      `the embedded ClickHouse data folder ${dataDir} is in use by another process ` +
        '(chDB binds one folder to one process): stop that process, use its HTTP API, ' +
        'or set CLICKHOUSE_DATA_DIR / CLICKHOUSE_URL',
      { cause },
    );
    this.name = 'EmbeddedClickHouseBusyError';
  }
}

/** Runs a query and returns its rows as objects. */
export async function queryRows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}
