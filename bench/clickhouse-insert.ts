// `npx tsx bench/clickhouse-insert.ts [events] [batch]`: the ceiling the embedded ClickHouse puts on
// the enricher. Realistic enriched rows (bench/lib.ts seed, in time order) are inserted the way the
// enricher inserts them — JSONCompactEachRow batches into api_requests and request_latency, with
// its deduplication token and settings — into a fresh database with every materialized view of the
// migrations, then with only 0002's, then with none. No Kafka, no JavaScript enrichment.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clickHouseSettingsFromEnv, createClickHouseClient, queryRows } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { LATENCY_COLUMNS, USAGE_COLUMNS } from '../services/enricher/src/rows.ts';
import type { Row } from '../services/enricher/src/rows.ts';
import { UsageWriter } from '../services/enricher/src/writer.ts';
import { seedTrafficSql, table } from './lib.ts';

const EVENTS = Number(process.argv[2] ?? 300_000);
const BATCH = Number(process.argv[3] ?? 10_000);
const DATA_DIR = fileURLToPath(new URL('../.local/bench-insert-chdb', import.meta.url));
rmSync(DATA_DIR, { recursive: true, force: true });
const client = await createClickHouseClient(clickHouseSettingsFromEnv({ CLICKHOUSE_DATA_DIR: DATA_DIR }));

await migrate(client, { database: 'source', usageRetentionDays: 400 });
for (const query of seedTrafficSql('source', EVENTS, Math.floor(Date.now() / 1000) - 3600, 3600, 'realistic')) await client.command({ query });
const read = async (sql: string): Promise<unknown[][]> => (await client.query({ query: sql, format: 'JSONCompactEachRow' })).json<unknown[]>();
const usage = await read(`SELECT ${USAGE_COLUMNS.join(', ')} FROM source.api_requests ORDER BY ts`);
const latency = await read(`SELECT ${LATENCY_COLUMNS.join(', ')} FROM source.request_latency ORDER BY ts`);

const views = (database: string): Promise<{ name: string }[]> =>
  queryRows<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = '${database}' AND engine = 'MaterializedView' ORDER BY name`);
const OF_0002 = ['usage_minute_mv', 'usage_hour_mv', 'usage_day_mv', 'latency_minute_mv'];
const variants: { name: string; keep: (view: string) => boolean; latency: boolean }[] = [
  { name: 'every materialized view (0002 + 0004)', keep: () => true, latency: true },
  { name: "0002's views only (usage minute/hour/day, latency minute)", keep: (v) => OF_0002.includes(v), latency: true },
  { name: 'no views', keep: () => false, latency: true },
  { name: 'no views, usage table only', keep: () => false, latency: false },
];
const results: Record<string, string | number>[] = [];
for (const [i, variant] of variants.entries()) {
  const database = `insert_${i}`;
  await migrate(client, { database, usageRetentionDays: 400 });
  const all = await views(database);
  for (const { name } of all) if (!variant.keep(name)) await client.command({ query: `DROP VIEW ${database}.${name}` });
  const writer = new UsageWriter(client, database);
  const t0 = performance.now();
  for (let at = 0; at < usage.length; at += BATCH) {
    await writer.write(`bench/0/${at}`, usage.slice(at, at + BATCH) as Row[], variant.latency ? (latency.slice(at, at + BATCH) as Row[]) : []);
  }
  const seconds = (performance.now() - t0) / 1000;
  results.push({ tables: variant.name, views: all.filter((v) => variant.keep(v.name)).length, 'rows/s': Math.round(usage.length / seconds), 'µs/row': ((seconds * 1e6) / usage.length).toFixed(1) });
  console.error(`  ${variant.name}: ${Math.round(usage.length / seconds)} rows/s`);
}
console.log(`${usage.length.toLocaleString('en-US')} rows in batches of ${BATCH.toLocaleString('en-US')}, the enricher's insert settings`);
console.log(table(results));
await client.close();
