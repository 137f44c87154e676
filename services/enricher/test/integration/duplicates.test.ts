// An event already stored is never stored again: two Kafka messages carrying the same event
// (a tap replaying log lines after a SIGKILL, a gateway retrying a request whose 202 was lost) give
// one row in api_requests and one call in every rollup, whether the copies arrive in different
// batches or in one. A replayed range (a crash before its commit) still stores each row once,
// including the latency rows a crash between the two inserts left unwritten. An event is its id
// within its consumer, as billing counts it.
import { BlockList } from 'node:net';
import { CompressionTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCatalog } from '@tollgate/catalog';
import { insertRows, queryRows } from '@tollgate/platform';
import type { ApiRequestEvent } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { processBatch } from '../../src/batch.ts';
import type { EnricherConfig } from '../../src/config.ts';
import { DEFAULT_IP_PRIVACY } from '../../src/enrich/ip-privacy.ts';
import { withoutDuplicates } from '../../src/duplicates.ts';
import { USAGE_COLUMNS, WhereCache, type EnrichDeps } from '../../src/rows.ts';
import type { EnricherService } from '../../src/service.ts';
import { ClickHouseStoredEvents } from '../../src/stored-events.ts';
import { batchToken, UsageWriter } from '../../src/writer.ts';
import { event, kafka, startTestEnricher, testEnricherConfig, waitForRows } from '../helpers.ts';

let ch: TestClickHouse;
let config: EnricherConfig;
let enricher: EnricherService;

beforeAll(async () => {
  ch = await testClickHouse('duplicates');
  config = testEnricherConfig(ch);
  enricher = await startTestEnricher(ch, config);
});
afterAll(async () => {
  await enricher.close();
  await ch.client.close();
});

/** Produced in one request, keyed as the tap keys them (consumer id): copies share a partition. */
async function produceKeyed(events: ApiRequestEvent[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(config.topic)) await admin.createTopics({ topics: [{ topic: config.topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: config.topic, acks: -1, compression: CompressionTypes.None, messages: events.map((e) => ({ key: e.consumer?.id ?? e.event_id, value: JSON.stringify(e) })) });
  await producer.disconnect();
}

const withLatency = (i: number, id: string, consumer: string) => event(i, { event_id: id, consumer: { id: consumer }, latency_ms: { total: 12 } });

async function totals(like: string) {
  const [row] = await queryRows<Record<string, number>>(
    ch.client,
    `SELECT (SELECT count() FROM ${ch.database}.api_requests WHERE event_id LIKE '${like}') AS rows,
            (SELECT uniqExact(event_id) FROM ${ch.database}.api_requests WHERE event_id LIKE '${like}') AS ids,
            (SELECT count() FROM ${ch.database}.request_latency WHERE event_id LIKE '${like}') AS latency,
            (SELECT count() FROM ${ch.database}.api_requests) AS all_rows,
            (SELECT sum(calls) FROM ${ch.database}.usage_minute) AS minute,
            (SELECT sum(calls) FROM ${ch.database}.usage_hour) AS hour,
            (SELECT sum(calls) FROM ${ch.database}.usage_day) AS day`,
  );
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
}

describe('an event id is stored once', () => {
  it('copies in a later batch and within one batch: one row, one latency row, one call in every rollup', async () => {
    await produceKeyed([withLatency(0, 'dup-a', 'alice'), withLatency(1, 'dup-b', 'bob')]);
    expect(await waitForRows(ch.client, ch.database, 2)).toBe(2);
    // A later batch: both copied again (dup-a twice), beside a new event on each key.
    await produceKeyed([withLatency(0, 'dup-a', 'alice'), withLatency(1, 'dup-b', 'bob'), withLatency(0, 'dup-a', 'alice'), withLatency(2, 'dup-c', 'alice'), withLatency(3, 'dup-d', 'bob')]);
    expect(await waitForRows(ch.client, ch.database, 4)).toBe(4);
    // Only within one batch: the first copy is stored.
    await produceKeyed([withLatency(4, 'dup-e', 'carol'), withLatency(4, 'dup-e', 'carol'), withLatency(5, 'dup-f', 'carol')]);
    expect(await waitForRows(ch.client, ch.database, 6)).toBe(6);
    // The check runs before each write; a short settle shows nothing more arrives.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await totals('dup-%')).toEqual({ rows: 6, ids: 6, latency: 6, all_rows: 6, minute: 6, hour: 6, day: 6 });
    const metrics = (await enricher.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^tollgate_enricher_duplicate_events_total{service="enricher"} 4$/m);
    expect(metrics).toMatch(/^tollgate_enricher_rows_inserted_total{service="enricher"} 6$/m);
  });

  it('a range replayed after a crash between its usage and latency inserts keeps its own rows: each stored once, the latency rows too', async () => {
    const deps: EnrichDeps = { trustedProxies: new BlockList(), ipPrivacy: DEFAULT_IP_PRIVACY, catalog: compileCatalog([]), consumer: () => undefined, where: new WhereCache() };
    const stored = new ClickHouseStoredEvents(ch.client, ch.database);
    const writer = new UsageWriter(ch.client, ch.database);
    const messages = ['replay-1', 'replay-2', 'replay-1', 'dup-a'].map((id, i) => ({ offset: String(1_000 + i), value: Buffer.from(JSON.stringify(withLatency(0, id, 'alice'))) }));
    const token = batchToken('replay-topic', 7, '1000', '1003');
    // First attempt: the usage rows are inserted, then the process dies before the latency insert.
    const first = await withoutDuplicates(7, processBatch(7, messages, deps), stored);
    expect(first.duplicates).toBe(2);
    await insertRows(ch.client, { table: `${ch.database}.api_requests`, columns: USAGE_COLUMNS, rows: first.rows.usage, settings: { insert_deduplicate: 1, insert_deduplication_token: token, deduplicate_blocks_in_dependent_materialized_views: 1 } });
    // The replay finds its own rows (same partition and offsets): kept, so it writes the same blocks under the same token.
    const replay = await withoutDuplicates(7, processBatch(7, messages, deps), stored);
    expect(replay.duplicates).toBe(2);
    expect(replay.rows.usage.toBuffer()).toEqual(first.rows.usage.toBuffer());
    expect(await writer.write(token, replay.rows)).toEqual([]);
    expect(await totals('replay-%')).toMatchObject({ rows: 2, ids: 2, latency: 2 });
    expect(await totals('dup-a')).toMatchObject({ rows: 1, latency: 1 });
  });

  it('the same id from another consumer is another event, as billing counts it: stored', async () => {
    await produceKeyed([withLatency(6, 'dup-a', 'dave')]);
    expect(await waitForRows(ch.client, ch.database, 9)).toBe(9);
    const rows = await queryRows<{ consumer_id: string }>(ch.client, `SELECT consumer_id FROM ${ch.database}.api_requests WHERE event_id = 'dup-a' ORDER BY consumer_id`);
    expect(rows).toEqual([{ consumer_id: 'alice' }, { consumer_id: 'dave' }]);
  });
});
