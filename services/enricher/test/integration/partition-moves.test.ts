// No event may stop a partition for good. Text cut inside a surrogate pair is repaired and stored;
// a row ClickHouse refuses for its content is dead-lettered with ClickHouse's reason, and every
// event behind it on the same partition is stored exactly once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@tollgate/platform';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { readWholeTopic } from '../../../../test/harness/kafka.ts';
import type { EnricherConfig } from '../../src/config.ts';
import type { EnricherService } from '../../src/service.ts';
import { event, kafka, produce, startTestEnricher, testEnricherConfig, waitForRows } from '../helpers.ts';

let ch: TestClickHouse;
let config: EnricherConfig;
let enricher: EnricherService;

beforeAll(async () => {
  ch = await testClickHouse('partition_moves');
  config = testEnricherConfig(ch);
  enricher = await startTestEnricher(ch, config);
});
afterAll(async () => {
  await enricher.close();
  await ch.client.close();
});

const ordinary = (from: number, n: number) => Array.from({ length: n }, (_, i) => event(from + i, { event_id: `ok-${from + i}` }));

async function deadLetters(count: number) {
  let dead = await readWholeTopic(kafka, config.dlqTopic);
  for (let i = 0; i < 100 && dead.length < count; i += 1) {
    await new Promise((r) => setTimeout(r, 100));
    dead = await readWholeTopic(kafka, config.dlqTopic);
  }
  return dead;
}

describe('a partition keeps moving', () => {
  it('stores a user agent cut inside a surrogate pair (the half replaced by U+FFFD) and the 200 events behind it', async () => {
    // What a gateway that cuts at 1024 UTF-16 units sends for 'a'×1023 + '😀': JSON escapes the lone half.
    const cut = `${'a'.repeat(1023)}${'😀'.slice(0, 1)}`;
    await produce(config.topic, [JSON.stringify(event(0, { event_id: 'surrogate', user_agent: cut })), ...ordinary(1, 200)], 1);
    expect(await waitForRows(ch.client, ch.database, 201)).toBe(201);
    const [row] = await queryRows<{ user_agent: string }>(ch.client, `SELECT user_agent FROM ${ch.database}.api_requests WHERE event_id = 'surrogate'`);
    expect(row?.user_agent).toBe(`${'a'.repeat(1023)}\uFFFD`);
    const metrics = (await enricher.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^tollgate_enricher_text_repaired_total{service="enricher"} 1$/m);
  });

  it('dead-letters a row ClickHouse refuses for its content, with the reason, and stores the rest of the range once', async () => {
    await ch.client.command({ query: `ALTER TABLE ${ch.database}.api_requests ADD CONSTRAINT no_poison CHECK path != '/poison'` });
    await produce(config.topic, [...ordinary(300, 50), event(350, { event_id: 'poison', path: '/poison' }), ...ordinary(351, 50)], 1);
    expect(await waitForRows(ch.client, ch.database, 301)).toBe(301);
    const dead = await deadLetters(1);
    expect(dead).toHaveLength(1);
    expect(JSON.parse(dead[0]!.value ?? '{}')).toMatchObject({ event_id: 'poison' });
    expect(dead[0]!.headers?.['x-tollgate-error']?.toString()).toMatch(/^clickhouse refused the row \(.*api_requests\): Code: 469\./);
    const [totals] = await queryRows<{ rows: number; ids: number; minute: number; latency: number }>(
      ch.client,
      `SELECT (SELECT count() FROM ${ch.database}.api_requests) AS rows,
              (SELECT uniqExact(event_id) FROM ${ch.database}.api_requests) AS ids,
              (SELECT sum(calls) FROM ${ch.database}.usage_minute) AS minute,
              (SELECT count() FROM ${ch.database}.api_requests WHERE event_id = 'poison') AS latency`,
    );
    expect(totals).toEqual({ rows: 301, ids: 301, minute: 301, latency: 0 });
    const metrics = (await enricher.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^tollgate_enricher_quarantined_rows_total{service="enricher"} 1$/m);
  });
});
