// The one place that knows whether ClickHouse is a real server or the embedded chDB engine.
// Everything else receives a plain @clickhouse/client and writes the same SQL for both.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
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
  /** CLICKHOUSE_CLUSTER: the server is a cluster, its tables Distributed over Replicated *_local tables. */
  cluster?: string;
}

/**
 * Settings every client of a cluster sends: an insert into a Distributed table returns once every
 * shard holds its rows (not once they are queued on the node that received it), so an insert
 * acknowledged is stored (the enricher then commits its Kafka offsets), replayed inserts reach the
 * shards with their insert_deduplication_token, and billing reads its ledger writes back.
 * insert_distributed_sync is the name every version accepts (distributed_foreground_insert since
 * 23.10, which keeps the old one as an alias).
 */
export const CLUSTER_CLIENT_SETTINGS = { insert_distributed_sync: 1 } as const;

/** The settings a client sends with every query and insert; a request's own settings are merged over them. */
export function clientSettings(settings: Pick<ClickHouseSettings, 'cluster'>): Record<string, string | number> {
  return { date_time_output_format: 'iso', ...(settings.cluster ? CLUSTER_CLIENT_SETTINGS : {}) };
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
    cluster: reader.string('CLICKHOUSE_CLUSTER'),
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
  const common = { clickhouse_settings: clientSettings(settings) };
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

const CHUNK_BYTES = 1 << 20;

/**
 * Rows encoded as JSONCompactEachRow as they are added, into off-heap chunks: a batch of tens of
 * thousands of rows otherwise lives on the JavaScript heap as arrays until its insert, and the
 * collector copies and promotes every one of them.
 */
export class JsonCompactRows {
  private chunks: Buffer[] = [];
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  count = 0;

  /** One row: values in column order. */
  push(row: readonly unknown[]): void {
    const line = `${JSON.stringify(row)}\n`;
    // A UTF-8 character takes at most 3 bytes per UTF-16 unit.
    if (this.used + line.length * 3 > this.chunk.length) {
      this.chunks.push(this.chunk.subarray(0, this.used));
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, line.length * 3));
      this.used = 0;
    }
    this.used += this.chunk.write(line, this.used);
    this.count += 1;
  }

  /** Every row so far, one per line. */
  toBuffer(): Buffer {
    return Buffer.concat([...this.chunks, this.chunk.subarray(0, this.used)]);
  }

  /** Each row's line (newline included), in order: JSON text holds no raw newline, so they split cleanly. */
  lines(): Buffer[] {
    const all = this.toBuffer();
    const lines: Buffer[] = [];
    for (let start = 0; start < all.length; ) {
      const end = all.indexOf(0x0a, start) + 1;
      lines.push(all.subarray(start, end));
      start = end;
    }
    return lines;
  }

  /** Rows from lines made by lines(). */
  static fromLines(lines: readonly Buffer[]): JsonCompactRows {
    const rows = new JsonCompactRows();
    rows.chunks = [...lines];
    rows.chunk = Buffer.alloc(0);
    rows.count = lines.length;
    return rows;
  }
}

/**
 * Error codes with which ClickHouse refuses rows for what they hold (text it cannot parse, a value
 * out of its column's range), as opposed to refusing the moment (connection refused, timeouts,
 * TOO_MANY_PARTS, readonly, memory): the same rows fail the same way on every retry.
 * CANNOT_PARSE_TEXT 6, CANNOT_PARSE_ESCAPE_SEQUENCE 25, CANNOT_PARSE_QUOTED_STRING 26,
 * CANNOT_PARSE_INPUT_ASSERTION_FAILED 27, ATTEMPT_TO_READ_AFTER_EOF 32, CANNOT_PARSE_DATE 38,
 * CANNOT_PARSE_DATETIME 41, TYPE_MISMATCH 53, ARGUMENT_OUT_OF_BOUND 69, CANNOT_CONVERT_TYPE 70,
 * CANNOT_PARSE_NUMBER 72, INCORRECT_DATA 117, TOO_LARGE_ARRAY_SIZE 128, TOO_LARGE_STRING_SIZE 131,
 * SIZES_OF_ARRAYS_DONT_MATCH 190, VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE 321, CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN 349,
 * CANNOT_PARSE_UUID 376, CANNOT_PARSE_IPV4 441, CANNOT_PARSE_IPV6 442, CANNOT_PARSE_BOOL 467,
 * VIOLATED_CONSTRAINT 469 (a CHECK an operator added to a table).
 */
const ROW_CONTENT_ERROR_CODES = new Set([6, 25, 26, 27, 32, 38, 41, 53, 69, 70, 72, 117, 128, 131, 190, 321, 349, 376, 441, 442, 467, 469]);

/** The numeric ClickHouse error code: a server's error carries it, chDB's only in its message. */
export function clickHouseErrorCode(error: unknown): number | undefined {
  const code = Number((error as { code?: unknown } | null)?.code);
  if (Number.isInteger(code) && code > 0) return code;
  const message = (error as { message?: unknown } | null)?.message;
  const match = typeof message === 'string' ? /^Code: (\d+)\./.exec(message) : null;
  return match ? Number(match[1]) : undefined;
}

/** True when ClickHouse refused an insert for the rows it holds: retrying the same rows cannot help. */
export function isRowContentError(error: unknown): boolean {
  const code = clickHouseErrorCode(error);
  return code !== undefined && ROW_CONTENT_ERROR_CODES.has(code);
}

export interface RowsInsert {
  /** db.table */
  table: string;
  columns: readonly [string, ...string[]];
  rows: JsonCompactRows;
  settings: Record<string, string | number | boolean>;
}

/**
 * Inserts JSONCompactEachRow rows. On the embedded engine they go through chDB's raw insert — a
 * Buffer its own threads parse — rather than the client's insert, which chDB receives as SQL text
 * with the data appended: 70 000 against 42 000 rows/s for the enricher's rows
 * (docs/benchmarks.md). A server gets them as the body of the client's insert.
 */
export async function insertRows(client: ClickHouseClient, insert: RowsInsert): Promise<void> {
  const body = insert.rows.toBuffer();
  const engine = embeddedEngines.get(client);
  if (engine === undefined) {
    // The encoded rows are the request body as they are. The client's insert() takes JSON formats
    // only as objects (it refuses a byte stream for JSONCompactEachRow), so exec() sends the
    // statement with the bytes: the same request insert() would make.
    const values = Readable.from([body], { objectMode: false });
    const result = await client.exec({
      query: `INSERT INTO ${insert.table} (${insert.columns.join(', ')}) FORMAT JSONCompactEachRow`,
      values,
      clickhouse_settings: insert.settings,
    });
    // Read to the end: the answer holds the connection until it is consumed.
    await finished(result.stream.resume());
    return;
  }
  await engine.rawInsert({ table: insert.table, columns: insert.columns, values: body, format: 'JSONCompactEachRow', settings: insert.settings });
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
