// A stand-in ClickHouse server for tests that run several writer processes: one process holds
// one embedded chDB folder and answers the part of ClickHouse's HTTP interface that
// @clickhouse/client uses (POST with the SQL in the body, or an INSERT in `query=` with its rows
// in the body; settings and `param_*` in the URL; GET /ping). No ClickHouse server can be
// installed here, and chDB binds one folder to one process, so three enricher processes (each a
// real process that a fault can SIGKILL) write through CLICKHOUSE_URL to this one, as they would
// to a server. What it does not stand in for: a server's per-request settings (chDB keeps SET
// settings per session, as the embedded mode does in-process: every insert Tollgate makes sets
// its own dedup token) and its replication.
//
//   node --import tsx test/harness/clickhouse-stand-in.ts <data dir> <port>   (prints "listening <port>")
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createChdbConnection } from 'chdb/connection';

type RawInsertFormatName = Parameters<ReturnType<typeof createChdbConnection>['chdb']['rawInsert']>[0]['format'];

/** URL parameters that are not ClickHouse settings. */
const NOT_SETTINGS = new Set(['query', 'query_id', 'database', 'session_id', 'role']);
/** The insert statement @clickhouse/client builds: `INSERT INTO <table> (<columns>) FORMAT <format>`. */
const CLIENT_INSERT = /^INSERT INTO (\S+) \(([^)]+)\) FORMAT (\w+)$/;

const [dataDir, portArg] = process.argv.slice(2);
if (!dataDir) {
  console.error('usage: clickhouse-stand-in.ts <data dir> [port]');
  process.exit(2);
}
const connection = createChdbConnection({ path: dataDir });

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** ClickHouse's own error text, which the client parses back into code and type. */
function fail(response: ServerResponse, error: unknown): void {
  const { code, type, message } = error as { code?: string; type?: string; message?: string };
  const text = code ? `Code: ${code}. DB::Exception: ${message ?? ''}. (${type ?? 'UNKNOWN'})` : String(message ?? error);
  response.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', ...(code ? { 'X-ClickHouse-Exception-Code': code } : {}) });
  response.end(`${text}\n`);
}

async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://stand-in');
  if (url.pathname === '/ping') {
    response.end('Ok.\n');
    return;
  }
  const data = await body(request);
  const settings: Record<string, string | number> = {};
  const queryParams: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key.startsWith('param_')) queryParams[key.slice('param_'.length)] = value;
    else if (!NOT_SETTINGS.has(key)) settings[key] = /^-?\d+$/.test(value) ? Number(value) : value;
  }
  const params = { clickhouse_settings: settings, ...(Object.keys(queryParams).length > 0 ? { query_params: queryParams } : {}) };
  const statement = url.searchParams.get('query');
  if (statement !== null) {
    const insert = CLIENT_INSERT.exec(statement.trim());
    if (insert && data.length > 0) {
      // The embedded mode's own insert path (the enricher's insertRows), so both modes store alike.
      const [, table, columns, format] = insert as unknown as [string, string, string, string];
      await connection.chdb.rawInsert({ table, columns: columns.split(',').map((c) => c.trim()), values: data, format: format as RawInsertFormatName, settings });
    } else if (data.length > 0) {
      await connection.insert({ query: statement, values: data.toString('utf8'), ...params });
    } else {
      await connection.command({ query: statement, ...params });
    }
    response.writeHead(200, { 'X-ClickHouse-Summary': '{}' });
    response.end();
    return;
  }
  const result = await connection.exec({ query: data.toString('utf8'), ...params });
  response.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Summary': '{}' });
  result.stream.pipe(response);
}

const server = createServer((request, response) => {
  answer(request, response).catch((error: unknown) => fail(response, error));
});
server.listen(Number(portArg ?? 0), '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close();
    void Promise.resolve(connection.close()).finally(() => process.exit(0));
  });
}
