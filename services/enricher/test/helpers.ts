import type { ClickHouseClient } from '@clickhouse/client';
import { pino } from 'pino';
import { CompressionTypes, type Kafka } from 'kafkajs';
import { createKafka, kafkaSettingsFromEnv, queryRows } from '@tollgate/platform';
import { migrate, type ApiRequestEvent } from '@tollgate/schemas';
import type { TestClickHouse } from '../../../test/harness/clickhouse.ts';
import { daysAgo } from '../../../test/harness/clock.ts';
import { uniqueName } from '../../../test/harness/names.ts';
import { enricherConfigFromEnv, type EnricherConfig } from '../src/config.ts';
import { startEnricher, type EnricherService } from '../src/service.ts';

export const kafka: Kafka = createKafka(kafkaSettingsFromEnv(process.env, 'enricher-test'));

export function testEnricherConfig(ch: TestClickHouse, env: Record<string, string> = {}): EnricherConfig {
  return enricherConfigFromEnv({
    ...process.env,
    CLICKHOUSE_DATA_DIR: ch.dataDir,
    CLICKHOUSE_DATABASE: ch.database,
    ENRICHER_PORT: '0',
    ENRICHER_TOPIC: uniqueName('events'),
    ENRICHER_DLQ_TOPIC: uniqueName('dlq'),
    ENRICHER_GROUP_ID: uniqueName('group'),
    ENRICHER_BATCH_MAX_WAIT_MS: '100',
    ENRICHER_ADMIN_TOKENS: 'admin-token-0123456789',
    ...env,
  });
}

export async function startTestEnricher(ch: TestClickHouse, config: EnricherConfig): Promise<EnricherService> {
  await migrate(ch.client, config.migrations);
  return startEnricher(config, ch.client, pino({ level: 'silent' }));
}

/** Event i is stamped i seconds after a base three days back: 200 000 events still end in the past. */
const EVENTS_START_MS = daysAgo(3);

export function event(i: number, over: Partial<ApiRequestEvent> = {}): ApiRequestEvent {
  return {
    schema: 'api-request/v1',
    event_id: `e-${i}`,
    timestamp: new Date(EVENTS_START_MS + i * 1_000).toISOString(),
    gateway: { kind: 'generic' },
    method: 'GET',
    path: `/v1/orders/${i}`,
    status: 200,
    ...over,
  };
}

export async function produce(topic: string, values: Array<ApiRequestEvent | string>, partitions = 3, compression = CompressionTypes.GZIP): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  if (!(await admin.listTopics()).includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (let i = 0; i < values.length; i += 5_000) {
    await producer.send({
      topic,
      acks: -1,
      compression,
      messages: values.slice(i, i + 5_000).map((v, j) => ({ key: `k${(i + j) % 31}`, value: typeof v === 'string' ? v : JSON.stringify(v) })),
    });
  }
  await producer.disconnect();
}

export async function waitForRows(client: ClickHouseClient, database: string, expected: number, timeoutMs = 60_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  let count = 0;
  while (Date.now() < end) {
    [{ count } = { count: 0 }] = await queryRows<{ count: number }>(client, `SELECT count() AS count FROM ${database}.api_requests`);
    if (Number(count) >= expected) return Number(count);
    await new Promise((r) => setTimeout(r, 200));
  }
  return Number(count);
}
