// Enricher throughput and freshness on the embedded ClickHouse.
//  1. throughput: N events pre-loaded in Kafka; one enricher instance (its own process) consumes,
//     enriches and writes them, offsets committed; events/s until the group has caught up.
//  2. beside it: ClickHouse's own Kafka table engine (inside chDB) ingesting the same topic into
//     the same table through a materialized view, without enrichment.
//  3. freshness: 10 000 events/s posted to a tap process; time from the tap's acknowledgement to
//     the rows being queryable, p50/p99.
//  4. the same load into an enricher process of its own: its peak RSS.
//   npx tsx bench/enricher-throughput.ts [events]   (BENCH_THROUGHPUT_ONLY=1: part 1 alone)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompressionTypes } from 'kafkajs';
import { pino } from 'pino';
import { enricherConfigFromEnv, startEnricher } from '@tollgate/enricher';
import { createClickHouseClient, createKafka, queryRows } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { imageNodeFlags } from '../test/harness/docker-image.ts';
import { BROKER, ensureKafka, ndjsonBody, peakRssMb, startService, stopService, table } from './lib.ts';

const total = Number(process.argv[2] ?? 500_000);
/** The enricher runs with its image's node flags (deploy/docker/enricher.Dockerfile), or BENCH_ENRICHER_FLAGS. */
const ENRICHER_FLAGS = process.env.BENCH_ENRICHER_FLAGS?.split(' ').filter(Boolean) ?? imageNodeFlags('enricher');
ensureKafka();
const kafka = createKafka({ brokers: [BROKER], clientId: 'bench-enricher' });
const stamp = Date.now();
const topic = `bench-enrich-${stamp}`;
const database = `bench_${stamp}`;
const dataDir = mkdtempSync(join(tmpdir(), 'bench-chdb-'));

// Pre-load the topic as the tap writes it: keyed by consumer, compressed with its default codec
// (TAP_COMPRESSION=snappy). It used to be gzip, which kafkajs takes twice as long to fetch and
// decode (1.7 against 0.9 s for 300 000 events), time during which the enricher writes nothing.
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();
for (let i = 0; i < total; i += 5_000) {
  const lines = ndjsonBody(i, 5_000).trim().split('\n');
  await producer.send({ topic, acks: -1, compression: CompressionTypes.Snappy, messages: lines.map((value, j) => ({ key: `c-${(i + j) % 997}`, value })) });
}
await producer.disconnect();

const env = { ...process.env, CLICKHOUSE_DATA_DIR: dataDir, CLICKHOUSE_DATABASE: database, ENRICHER_TOPIC: topic, ENRICHER_GROUP_ID: `bench-${stamp}`, ENRICHER_PORT: '0', ENRICHER_DLQ_TOPIC: `${topic}-dlq` };
const config = enricherConfigFromEnv(env);
const client = await createClickHouseClient(config.clickhouse);
await migrate(client, config.migrations);
const count = async (table: string): Promise<number> => Number((await queryRows<{ n: number }>(client, `SELECT count() AS n FROM ${table}`))[0]?.n ?? 0);

// 1. The enricher, as its own process on its own data folder (so its memory is its own), until
//    the group has committed every offset with no batch left unconfirmed.
async function caughtUp(t: string, groupId: string): Promise<boolean> {
  const ends = await admin.fetchTopicOffsets(t);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [t] });
  return ends.every((end) => committed?.partitions.some((p) => p.partition === end.partition && p.offset === end.high && !p.metadata));
}
const enricherProcess = await startService(
  'services/enricher/src/main.ts',
  { CLICKHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-enricher-')), CLICKHOUSE_DATABASE: database, ENRICHER_TOPIC: topic, ENRICHER_GROUP_ID: `bench-${stamp}`, ENRICHER_PORT: '18740', ENRICHER_DLQ_TOPIC: `${topic}-dlq`, KAFKA_BROKERS: BROKER },
  'http://127.0.0.1:18740/healthz',
  ENRICHER_FLAGS,
);
// The operations server answers once the consumer has joined the group: the clock starts there.
const t0 = performance.now();
while (!(await caughtUp(topic, `bench-${stamp}`))) await new Promise((r) => setTimeout(r, 100));
const enricherSeconds = (performance.now() - t0) / 1000;
const enricherRss = peakRssMb(enricherProcess.pid as number);
await stopService(enricherProcess);
console.log(`enricher: ${total} events in ${enricherSeconds.toFixed(1)} s = ${Math.round(total / enricherSeconds)} events/s (peak RSS ${enricherRss} MB)`);
if (process.env.BENCH_THROUGHPUT_ONLY === '1') {
  // For comparing enricher builds quickly: part 1 only.
  await client.close();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  process.exit(0);
}

// 2. ClickHouse's Kafka engine into the same table — the same schema with every materialized
//    view, in a database of its own — without enrichment.
const kafkaDatabase = `${database}_kafka_engine`;
await migrate(client, { ...config.migrations, database: kafkaDatabase });
await client.command({
  query: `CREATE TABLE ${database}.kafka_source (raw String) ENGINE = Kafka
          SETTINGS kafka_broker_list = '${BROKER}', kafka_topic_list = '${topic}', kafka_group_name = 'bench-chkafka-${stamp}',
                   kafka_format = 'JSONAsString', kafka_num_consumers = 1, kafka_max_block_size = 65536`,
});
const t1 = performance.now();
// Every field the event carries, as the enricher stores it (less what enrichment adds), and the
// latency table as well: the same rows and rollups to write, without the enrichment.
await client.command({
  query: `CREATE MATERIALIZED VIEW ${database}.kafka_mv TO ${kafkaDatabase}.api_requests AS
          SELECT JSONExtractString(raw, 'event_id') AS event_id,
                 parseDateTime64BestEffort(JSONExtractString(raw, 'timestamp'), 3, 'UTC') AS ts,
                 JSONExtractString(raw, 'gateway', 'kind') AS gateway_kind, JSONExtractString(raw, 'gateway', 'instance') AS gateway_instance,
                 JSONExtractString(raw, 'request_id') AS request_id, JSONExtractString(raw, 'api') AS api, JSONExtractString(raw, 'api') AS service,
                 JSONExtractString(raw, 'method') AS method, JSONExtractString(raw, 'host') AS host, JSONExtractString(raw, 'path') AS path,
                 toUInt16(JSONExtractUInt(raw, 'status')) AS status, concat(toString(intDiv(status, 100)), 'xx') AS status_class,
                 JSONExtractUInt(raw, 'request_bytes') AS request_bytes, JSONExtractUInt(raw, 'response_bytes') AS response_bytes,
                 JSONExtractString(raw, 'client_ip') AS client_ip, JSONExtractString(raw, 'user_agent') AS user_agent,
                 JSONExtractString(raw, 'consumer', 'id') AS consumer_id, JSONExtractString(raw, 'consumer', 'auth_method') AS auth_method,
                 true AS billable, _partition AS kafka_partition, _offset AS kafka_offset
          FROM ${database}.kafka_source`,
});
await client.command({
  query: `CREATE MATERIALIZED VIEW ${database}.kafka_latency_mv TO ${kafkaDatabase}.request_latency AS
          SELECT JSONExtractString(raw, 'event_id') AS event_id,
                 parseDateTime64BestEffort(JSONExtractString(raw, 'timestamp'), 3, 'UTC') AS ts,
                 JSONExtractString(raw, 'api') AS api, concat(toString(intDiv(JSONExtractUInt(raw, 'status'), 100)), 'xx') AS status_class,
                 toFloat32(JSONExtractFloat(raw, 'latency_ms', 'total')) AS total_ms, toFloat32(JSONExtractFloat(raw, 'latency_ms', 'upstream')) AS upstream_ms,
                 toFloat32(JSONExtractFloat(raw, 'latency_ms', 'gateway')) AS gateway_ms
          FROM ${database}.kafka_source`,
});
let kafkaEngineSeconds = Number.NaN;
let kafkaEngineRows = 0;
for (const deadline = Date.now() + 180_000; Date.now() < deadline; ) {
  kafkaEngineRows = await count(`${kafkaDatabase}.api_requests`);
  if (kafkaEngineRows >= total) {
    kafkaEngineSeconds = (performance.now() - t1) / 1000;
    break;
  }
  await new Promise((r) => setTimeout(r, 100));
}
console.log(`Kafka engine: ${kafkaEngineRows} of ${total} events${Number.isNaN(kafkaEngineSeconds) ? ' in 180 s (did not finish)' : ` in ${kafkaEngineSeconds.toFixed(1)} s`}`);
await client.command({ query: `DROP TABLE ${database}.kafka_mv` });
await client.command({ query: `DROP TABLE ${database}.kafka_latency_mv` });
await client.command({ query: `DROP TABLE ${database}.kafka_source` });

// 3. Freshness at 10 000 events/s through a tap process.
const freshTopic = `${topic}-fresh`;
const freshConfig = enricherConfigFromEnv({ ...env, ENRICHER_TOPIC: freshTopic, ENRICHER_GROUP_ID: `bench-fresh-${stamp}` });
const port = 18_720;
const tap = await startService(
  'services/tap/src/main.ts',
  { TAP_PORT: String(port), TAP_TOKENS: 'bench:bench-token-0123456789', TAP_TOPIC: freshTopic, TAP_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'bench-spool-')), KAFKA_BROKERS: BROKER },
  `http://127.0.0.1:${port}/readyz`,
);
const freshEnricher = await startEnricher(freshConfig, client, pino({ level: 'warn' }));
const seconds = 20;

/** Posts 1 000-event NDJSON batches to a tap, ten a second; batch number → time of the 202. */
function postTenThousandPerSecond(tapPort: number, tag: string, base: number, acked: Map<number, number>): Promise<void> {
  return (async () => {
    for (let batch = 0; batch < seconds * 10; batch += 1) {
      const due = performance.now() + 100;
      const body = ndjsonBody(base + batch * 1_000, 1_000).replaceAll('"bench-', `"${tag}${batch}-`);
      const answer = await fetch(`http://127.0.0.1:${tapPort}/v1/ingest/ndjson`, { method: 'POST', headers: { authorization: 'Bearer bench-token-0123456789', 'content-type': 'application/x-ndjson' }, body });
      if (answer.status === 202) acked.set(batch, performance.now());
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    }
  })();
}
const acked = new Map<number, number>();
const poster = postTenThousandPerSecond(port, 'fresh', 10_000_000, acked);
const visibleAfter: number[] = [];
const seen = new Set<number>();
const freshDeadline = Date.now() + 120_000;
while (seen.size < seconds * 10 && Date.now() < freshDeadline) {
  const rows = await queryRows<{ batch: number; n: number }>(
    client,
    `SELECT toUInt32(extract(event_id, '^fresh(\\\\d+)-')) AS batch, count() AS n FROM ${database}.api_requests WHERE event_id LIKE 'fresh%' GROUP BY batch HAVING n >= 1000`,
  );
  const now = performance.now();
  for (const { batch } of rows) {
    const ack = acked.get(Number(batch));
    if (!seen.has(Number(batch)) && ack !== undefined) {
      seen.add(Number(batch));
      visibleAfter.push(now - ack);
    }
  }
  await new Promise((r) => setTimeout(r, 20));
}
await poster;
await freshEnricher.close();
const tapRss = peakRssMb(tap.pid as number);
await stopService(tap);

// 4. The same load into an enricher running as its own process, for its memory alone (its
//    embedded ClickHouse and geo tables included): peak RSS once it has caught up.
const loadTopic = `${topic}-load`;
const loadTap = await startService(
  'services/tap/src/main.ts',
  { TAP_PORT: String(port + 1), TAP_TOKENS: 'bench:bench-token-0123456789', TAP_TOPIC: loadTopic, TAP_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'bench-spool-')), KAFKA_BROKERS: BROKER },
  `http://127.0.0.1:${port + 1}/readyz`,
);
const loadEnricher = await startService(
  'services/enricher/src/main.ts',
  { CLICKHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-enricher-')), CLICKHOUSE_DATABASE: database, ENRICHER_TOPIC: loadTopic, ENRICHER_GROUP_ID: `bench-load-${stamp}`, ENRICHER_PORT: '18741', ENRICHER_DLQ_TOPIC: `${loadTopic}-dlq`, KAFKA_BROKERS: BROKER },
  'http://127.0.0.1:18741/healthz',
  ENRICHER_FLAGS,
);
const loadAcked = new Map<number, number>();
await postTenThousandPerSecond(port + 1, 'load', 20_000_000, loadAcked);
for (const deadline = Date.now() + 120_000; Date.now() < deadline && !(await caughtUp(loadTopic, `bench-load-${stamp}`)); ) {
  await new Promise((r) => setTimeout(r, 200));
}
const loadEnricherRss = peakRssMb(loadEnricher.pid as number);
await stopService(loadEnricher);
await stopService(loadTap);
await client.close();
await admin.deleteTopics({ topics: [topic, freshTopic, loadTopic] }).catch(() => undefined);
await admin.disconnect();

visibleAfter.sort((a, b) => a - b);
const pct = (p: number) => Math.round(visibleAfter[Math.min(visibleAfter.length - 1, Math.floor((p / 100) * visibleAfter.length))] ?? Number.NaN);
console.log(table([
  { pipeline: 'Tollgate enricher (validate + geo + registry + catalog, exactly-once)', events: total, seconds: enricherSeconds.toFixed(1), 'events/s': Math.round(total / enricherSeconds) },
  { pipeline: 'ClickHouse Kafka engine → MVs into the same tables and rollups (no enrichment)', events: total, seconds: kafkaEngineSeconds.toFixed(1), 'events/s': Math.round(total / kafkaEngineSeconds) },
]));
console.log(`enricher / Kafka engine = ${(kafkaEngineSeconds / enricherSeconds).toFixed(2)}`);
console.log(`freshness at 10 000 events/s (tap ack → queryable, ${visibleAfter.length} batches): p50 ${pct(50)} ms, p99 ${pct(99)} ms`);
console.log(`peak RSS of the enricher process (its embedded ClickHouse and geo tables included): ${loadEnricherRss} MB at 10 000 events/s (${loadAcked.size * 1_000} events), ${enricherRss} MB draining the backlog at full speed; tap ${tapRss} MB`);
