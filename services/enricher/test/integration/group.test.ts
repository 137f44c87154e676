// Two enricher instances in one consumer group split the partitions; one stops mid-stream and the
// other takes its partitions over: nothing lost, nothing doubled. (Both run in this process: the
// embedded engine binds one data folder to one process.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@tollgate/platform';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { uniqueName } from '../../../../test/harness/names.ts';
import type { EnricherService } from '../../src/service.ts';
import { event, produce, startTestEnricher, testEnricherConfig, waitForRows } from '../helpers.ts';

let ch: TestClickHouse;
const instances: EnricherService[] = [];
beforeAll(async () => {
  ch = await testClickHouse('group');
});
afterAll(async () => {
  for (const instance of instances) await instance.close().catch(() => undefined);
  await ch.client.close();
});

describe('two enrichers in one group', () => {
  it('one stopped mid-stream: exact totals', async () => {
    const shared = { ENRICHER_TOPIC: uniqueName('group_events'), ENRICHER_GROUP_ID: uniqueName('group'), ENRICHER_SESSION_TIMEOUT_MS: '6000', ENRICHER_BATCH_MAX_BYTES: String(256 * 1024) };
    await produce(shared.ENRICHER_TOPIC, [], 6);
    const config = testEnricherConfig(ch, shared);
    const first = await startTestEnricher(ch, config);
    const second = await startTestEnricher(ch, config);
    instances.push(first, second);

    const total = 60_000;
    for (let i = 0; i < total / 2; i += 10_000) await produce(shared.ENRICHER_TOPIC, Array.from({ length: 10_000 }, (_, j) => event(i + j, { consumer: { id: `c-${(i + j) % 13}` } })), 6);
    await waitForRows(ch.client, ch.database, 10_000);
    await second.close();
    for (let i = total / 2; i < total; i += 10_000) await produce(shared.ENRICHER_TOPIC, Array.from({ length: 10_000 }, (_, j) => event(i + j, { consumer: { id: `c-${(i + j) % 13}` } })), 6);

    expect(await waitForRows(ch.client, ch.database, total, 90_000)).toBe(total);
    await new Promise((r) => setTimeout(r, 1_000));
    const [totals] = await queryRows<{ rows: number; ids: number; day: number }>(
      ch.client,
      `SELECT (SELECT count() FROM ${ch.database}.api_requests) AS rows,
              (SELECT uniqExact(event_id) FROM ${ch.database}.api_requests) AS ids,
              (SELECT sum(calls) FROM ${ch.database}.usage_day) AS day`,
    );
    expect(totals).toEqual({ rows: total, ids: total, day: total });
    // Both instances did part of the work before the second one left.
    const [split] = await queryRows<{ partitions: number }>(ch.client, `SELECT uniqExact(kafka_partition) AS partitions FROM ${ch.database}.api_requests`);
    expect(split?.partitions).toBe(6);
  });

  it('one joining while the other drains a backlog (batches written in the background meanwhile): exact totals', async () => {
    const database = `${ch.database}_join`;
    const shared = { CLICKHOUSE_DATABASE: database, ENRICHER_TOPIC: uniqueName('join_events'), ENRICHER_GROUP_ID: uniqueName('join'), ENRICHER_SESSION_TIMEOUT_MS: '6000', ENRICHER_BATCH_MAX_BYTES: String(64 * 1024) };
    const total = 80_000;
    await produce(shared.ENRICHER_TOPIC, Array.from({ length: total }, (_, i) => event(i, { consumer: { id: `c-${i % 13}` } })), 6);
    const config = testEnricherConfig(ch, shared);
    const first = await startTestEnricher(ch, config);
    instances.push(first);
    // Small fetches over a backlog: most batches end short of their partition's end, so they are
    // written in the background when the second instance's arrival moves partitions.
    await waitForRows(ch.client, database, 5_000);
    const second = await startTestEnricher(ch, config);
    instances.push(second);

    expect(await waitForRows(ch.client, database, total, 90_000)).toBe(total);
    await new Promise((r) => setTimeout(r, 1_000));
    const [totals] = await queryRows<{ rows: number; ids: number; minute: number; day: number }>(
      ch.client,
      `SELECT (SELECT count() FROM ${database}.api_requests) AS rows,
              (SELECT uniqExact(event_id) FROM ${database}.api_requests) AS ids,
              (SELECT sum(calls) FROM ${database}.usage_minute) AS minute,
              (SELECT sum(calls) FROM ${database}.usage_day) AS day`,
    );
    expect(totals).toEqual({ rows: total, ids: total, minute: total, day: total });
  });
});
