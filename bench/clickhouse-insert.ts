// `npx tsx bench/clickhouse-insert.ts [events] [batch]`: the ceiling the embedded ClickHouse puts on
// the enricher. The enricher bench's own events (bench/lib.ts ndjsonBody, as a tap produces them)
// are turned into rows by the enricher's own code, then inserted the way the enricher inserts them —
// JSONCompactEachRow batches into api_requests and request_latency, with its deduplication token and
// settings — into a fresh database with every materialized view of the migrations, then with only
// 0002's, then with none. No Kafka; the enrichment is done before the clock starts. The default
// batch of 50 000 is about what the enricher gets per partition when it drains a backlog.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileCatalog } from '@tollgate/catalog';
import { clickHouseSettingsFromEnv, createClickHouseClient, JsonCompactRows, queryRows } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { enricherConfigFromEnv, processBatch, UsageWriter, WhereCache } from '@tollgate/enricher';
import { ndjsonBody, table } from './lib.ts';

const EVENTS = Number(process.argv[2] ?? 300_000);
const BATCH = Number(process.argv[3] ?? 50_000);
const DATA_DIR = fileURLToPath(new URL('../.local/bench-insert-chdb', import.meta.url));
rmSync(DATA_DIR, { recursive: true, force: true });
const client = await createClickHouseClient(clickHouseSettingsFromEnv({ CLICKHOUSE_DATA_DIR: DATA_DIR }));

const config = enricherConfigFromEnv({});
const deps = { trustedProxies: config.trustedProxies, ipPrivacy: config.ipPrivacy, catalog: compileCatalog([]), consumer: () => undefined, where: new WhereCache() };
const lines = ndjsonBody(0, EVENTS).trim().split('\n');
const batches = [];
for (let at = 0; at < EVENTS; at += BATCH) {
  batches.push({ at, ...processBatch(0, lines.slice(at, at + BATCH).map((line, i) => ({ offset: String(at + i), value: Buffer.from(line) })), deps) });
}
const rows = batches.reduce((n, b) => n + b.usage.count, 0);
const none = new JsonCompactRows();

const views = (database: string): Promise<{ name: string }[]> =>
  queryRows<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = '${database}' AND engine = 'MaterializedView' ORDER BY name`);
const OF_0002 = ['usage_minute_mv', 'usage_hour_mv', 'usage_day_mv', 'latency_minute_mv'];
const variants: { name: string; keep: (view: string) => boolean; latency: boolean }[] = [
  { name: 'every materialized view (0002 + 0004 + 0007)', keep: () => true, latency: true },
  { name: "every view but 0007's refused rollups", keep: (v) => !v.startsWith('refused_'), latency: true },
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
  for (const batch of batches) await writer.write(`bench/0/${batch.at}`, variant.latency ? batch : { ...batch, latency: none, latencyOffsets: [] });
  const seconds = (performance.now() - t0) / 1000;
  results.push({ tables: variant.name, views: all.filter((v) => variant.keep(v.name)).length, 'rows/s': Math.round(rows / seconds), 'µs/row': ((seconds * 1e6) / rows).toFixed(1) });
  console.error(`  ${variant.name}: ${Math.round(rows / seconds)} rows/s`);
  // Its background merges would otherwise run during the next variant.
  await client.command({ query: `DROP DATABASE ${database} SYNC` });
}
console.log(`${rows.toLocaleString('en-US')} enriched rows of tap-shaped events in batches of ${BATCH.toLocaleString('en-US')}, the enricher's insert settings`);
console.log(table(results));
await client.close();
