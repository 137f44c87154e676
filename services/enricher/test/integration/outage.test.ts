// ClickHouse refusing writes while a backlog is consumed: the enricher's writes fail (in the
// background while more of a partition waits, and in the handler at a partition's end), are
// retried, and once ClickHouse accepts writes again every event is stored exactly once.
// The refusal is ClickHouse's own: a usage table allowed no more parts than it has answers every
// insert with TOO_MANY_PARTS, as an overloaded server does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@tollgate/platform';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { uniqueName } from '../../../../test/harness/names.ts';
import type { EnricherService } from '../../src/service.ts';
import { event, produce, startTestEnricher, testEnricherConfig, waitForRows } from '../helpers.ts';

let ch: TestClickHouse;
let enricher: EnricherService | undefined;
beforeAll(async () => {
  ch = await testClickHouse('outage');
});
afterAll(async () => {
  await enricher?.close().catch(() => undefined);
  await ch.client.close();
});

const metric = async (name: string): Promise<number> => {
  const text = await (await fetch(`${enricher?.url}/metrics`)).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
};

describe('ClickHouse refusing writes', () => {
  it('failed writes are retried once it accepts them again: every event stored exactly once', async () => {
    // Small fetches, so that a partition's batches queue behind each other (the background path).
    const config = testEnricherConfig(ch, { ENRICHER_TOPIC: uniqueName('outage_events'), ENRICHER_BATCH_MAX_BYTES: String(64 * 1024) });
    await produce(config.topic, [], 3);
    enricher = await startTestEnricher(ch, config);
    const table = `${ch.database}.api_requests`;
    const total = 40_000;
    await produce(config.topic, Array.from({ length: 10_000 }, (_, i) => event(i)), 3);
    await waitForRows(ch.client, ch.database, 10_000);

    await ch.client.command({ query: `SYSTEM STOP MERGES ${table}` });
    await ch.client.command({ query: `ALTER TABLE ${table} MODIFY SETTING parts_to_throw_insert = 1` });
    await produce(config.topic, Array.from({ length: total - 10_000 }, (_, i) => event(10_000 + i)), 3);
    for (let i = 0; i < 100 && (await metric('tollgate_enricher_write_failures_total')) < 3; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(await metric('tollgate_enricher_write_failures_total')).toBeGreaterThanOrEqual(3);
    const [during] = await queryRows<{ n: number }>(ch.client, `SELECT count() AS n FROM ${table}`);
    expect(Number(during?.n)).toBe(10_000);

    await ch.client.command({ query: `ALTER TABLE ${table} MODIFY SETTING parts_to_throw_insert = 3000` });
    await ch.client.command({ query: `SYSTEM START MERGES ${table}` });
    expect(await waitForRows(ch.client, ch.database, total, 90_000)).toBe(total);
    await new Promise((r) => setTimeout(r, 1_000));
    const [totals] = await queryRows<{ rows: number; ids: number; minute: number; day: number }>(
      ch.client,
      `SELECT (SELECT count() FROM ${table}) AS rows,
              (SELECT uniqExact(event_id) FROM ${table}) AS ids,
              (SELECT sum(calls) FROM ${ch.database}.usage_minute) AS minute,
              (SELECT sum(calls) FROM ${ch.database}.usage_day) AS day`,
    );
    expect(totals).toEqual({ rows: total, ids: total, minute: total, day: total });
  });
});
