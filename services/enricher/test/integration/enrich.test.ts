// Events through the real broker into the embedded ClickHouse: geography, registry data, dead
// letters, and replayed batches that must not count twice.
import { CompressionTypes } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@tollgate/platform';
import { specCheckedInject } from '@tollgate/platform/testing';
import { emptyConsumer, writeConsumers } from '@tollgate/registry';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import { readWholeTopic } from '../../../../test/harness/kafka.ts';
import type { EnricherConfig } from '../../src/config.ts';
import type { EnricherService } from '../../src/service.ts';
import { event, kafka, produce, startTestEnricher, testEnricherConfig, waitForRows } from '../helpers.ts';

let ch: TestClickHouse;
let config: EnricherConfig;
let enricher: EnricherService;
/** enricher.app.inject, every answer checked against the enricher's OpenAPI document. */
let inject: ReturnType<typeof specCheckedInject>;

beforeAll(async () => {
  ch = await testClickHouse('enrich');
  config = testEnricherConfig(ch);
  enricher = await startTestEnricher(ch, config);
  inject = specCheckedInject(enricher.app);
});
afterAll(async () => {
  await enricher.close();
  await ch.client.close();
});

describe('enricher, end to end', () => {
  it('stores geography for IPs on every continent, IPv6, and empty geo for private addresses', async () => {
    const ips: Record<string, string> = {
      'na': '128.112.128.15',
      'eu': '129.187.255.1',
      'asia': '133.11.0.1',
      'sa': '143.107.45.1',
      'oceania': '138.44.0.1',
      'africa': '196.21.0.1',
      'v6': '2a00:1450:4001:82a::200e',
      'private': '10.1.2.3',
    };
    await produce(config.topic, Object.entries(ips).map(([name, ip], i) => event(i, { event_id: `geo-${name}`, client_ip: ip })));
    expect(await waitForRows(ch.client, ch.database, 8)).toBe(8);
    const rows = await queryRows<{ event_id: string; country: string; region: string; city: string; client_ip: string; eu: boolean; timezone: string }>(
      ch.client,
      `SELECT event_id, country, region, city, client_ip, eu, timezone FROM ${ch.database}.api_requests WHERE event_id LIKE 'geo-%'`,
    );
    const by = Object.fromEntries(rows.map((r) => [r.event_id.slice(4), r]));
    expect(by.na).toMatchObject({ country: 'US', region: 'NJ', city: 'Princeton', client_ip: '128.112.128.0/24', eu: false });
    expect(by.eu).toMatchObject({ country: 'DE', client_ip: '129.187.255.0/24', eu: true });
    expect(by.asia).toMatchObject({ country: 'JP' });
    expect(by.sa).toMatchObject({ country: 'BR', region: 'SP', city: 'São Paulo' });
    expect(by.oceania).toMatchObject({ country: 'AU', region: 'NSW', city: 'Sydney' });
    expect(by.africa).toMatchObject({ country: 'ZA' });
    expect(by.v6).toMatchObject({ country: 'DE', city: 'Frankfurt am Main', eu: true });
    expect(by.v6?.client_ip).toMatch(/^2a00:1450:4001::\/48$/);
    expect(by.private).toMatchObject({ country: '', region: '', city: '', timezone: '', client_ip: '10.1.2.0/24' });
  });

  it('stores organisation and plan for a registered consumer, and marks an unknown one', async () => {
    await writeConsumers(ch.client, ch.database, [
      { ...emptyConsumer('alice'), org_id: 'acme', name: 'Alice', email: 'alice@acme.test', plan_id: 'starter' },
    ]);
    const refresh = await inject({ method: 'POST', url: '/v1/registry/refresh', headers: { authorization: 'Bearer admin-token-0123456789' } });
    expect(refresh.json()).toEqual({ consumers: 1 });
    await produce(config.topic, [
      event(100, { event_id: 'reg-known', consumer: { id: 'alice' } }),
      event(101, { event_id: 'reg-unknown', consumer: { id: 'mallory', org_id: 'self-declared' } }),
    ]);
    expect(await waitForRows(ch.client, ch.database, 10)).toBe(10);
    const rows = await queryRows<{ event_id: string; consumer_id: string; consumer_known: boolean; org_id: string; plan_id: string }>(
      ch.client,
      `SELECT event_id, consumer_id, consumer_known, org_id, plan_id FROM ${ch.database}.api_requests WHERE event_id LIKE 'reg-%' ORDER BY event_id`,
    );
    expect(rows).toEqual([
      { event_id: 'reg-known', consumer_id: 'alice', consumer_known: true, org_id: 'acme', plan_id: 'starter' },
      { event_id: 'reg-unknown', consumer_id: 'mallory', consumer_known: false, org_id: 'self-declared', plan_id: '' },
    ]);
    const metrics = await inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/tollgate_enricher_unknown_consumer_events_total\{service="enricher"\} 1/);
    expect(metrics.body).toMatch(/tollgate_enricher_registry_consumers\{service="enricher"\} 1/);
  });

  it('sends malformed messages to the dead-letter topic with the reason, and stores the valid ones around them', async () => {
    await produce(config.topic, [
      event(200, { event_id: 'dlq-before' }),
      'this is not json',
      JSON.stringify({ schema: 'api-request/v1', event_id: 'no-method' }),
      event(201, { event_id: 'dlq-after' }),
    ]);
    expect(await waitForRows(ch.client, ch.database, 12)).toBe(12);
    const stored = await queryRows<{ event_id: string }>(ch.client, `SELECT event_id FROM ${ch.database}.api_requests WHERE event_id LIKE 'dlq-%' ORDER BY event_id`);
    expect(stored.map((r) => r.event_id)).toEqual(['dlq-after', 'dlq-before']);
    let dead = await readWholeTopic(kafka, config.dlqTopic);
    for (let i = 0; i < 50 && dead.length < 2; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      dead = await readWholeTopic(kafka, config.dlqTopic);
    }
    const reasons = dead.map((m) => [m.value, m.headers?.['x-tollgate-error']?.toString()]);
    expect(reasons).toContainEqual(['this is not json', 'not JSON']);
    expect(reasons.find(([v]) => v?.includes('no-method'))?.[1]).toMatch(/^schema: .*\/(timestamp|gateway|method|path|status) is required$/);
    for (const m of dead) expect(m.headers?.['x-tollgate-source']?.toString()).toMatch(new RegExp(`^${config.topic}/\\d+/\\d+$`));
  });

  it('reads snappy-compressed batches, as the tap produces them by default', async () => {
    await produce(config.topic, [event(300, { event_id: 'snappy-1' }), event(301, { event_id: 'snappy-2' })], 3, CompressionTypes.Snappy);
    expect(await waitForRows(ch.client, ch.database, 14)).toBe(14);
    const stored = await queryRows<{ event_id: string }>(ch.client, `SELECT event_id FROM ${ch.database}.api_requests WHERE event_id LIKE 'snappy-%' ORDER BY event_id`);
    expect(stored.map((r) => r.event_id)).toEqual(['snappy-1', 'snappy-2']);
  });

  it('stores text exactly, whatever characters it holds (tabs, newlines, backslashes, \\N, quotes, non-ASCII)', async () => {
    const tricky = 'tab\there\nnew line\r\\N back\\slash \\t "quoted" \'single\' zürich 東京 🚀';
    await produce(config.topic, [
      event(400, { event_id: 'text-1', user_agent: tricky, path: '/v1/a\\b\tc', consumer: { id: 'c\t1\n', subject: '\\N' }, latency_ms: { total: 1.5 } }),
      event(401, { event_id: 'text-2', user_agent: '\\N', latency_ms: { upstream: 0.25, gateway: 0 } }),
    ]);
    expect(await waitForRows(ch.client, ch.database, 16)).toBe(16);
    const stored = await queryRows<{ event_id: string; user_agent: string; path: string; consumer_id: string; subject: string }>(
      ch.client,
      `SELECT event_id, user_agent, path, consumer_id, subject FROM ${ch.database}.api_requests WHERE event_id LIKE 'text-%' ORDER BY event_id`,
    );
    expect(stored).toEqual([
      { event_id: 'text-1', user_agent: tricky, path: '/v1/a\\b\tc', consumer_id: 'c\t1\n', subject: '\\N' },
      { event_id: 'text-2', user_agent: '\\N', path: '/v1/orders/401', consumer_id: '', subject: '' },
    ]);
    const latency = await queryRows<{ event_id: string; total_ms: number | null; upstream_ms: number | null; gateway_ms: number | null }>(
      ch.client,
      `SELECT event_id, total_ms, upstream_ms, gateway_ms FROM ${ch.database}.request_latency WHERE event_id LIKE 'text-%' ORDER BY event_id`,
    );
    expect(latency).toEqual([
      { event_id: 'text-1', total_ms: 1.5, upstream_ms: null, gateway_ms: null },
      { event_id: 'text-2', total_ms: null, upstream_ms: 0.25, gateway_ms: 0 },
    ]);
  });

  it('keeps the usage table and every rollup exact: the health endpoints answer', async () => {
    const [totals] = await queryRows<{ rows: number; ids: number; minute: number; hour: number; day: number }>(
      ch.client,
      `SELECT (SELECT count() FROM ${ch.database}.api_requests) AS rows,
              (SELECT uniqExact(event_id) FROM ${ch.database}.api_requests) AS ids,
              (SELECT sum(calls) FROM ${ch.database}.usage_minute) AS minute,
              (SELECT sum(calls) FROM ${ch.database}.usage_hour) AS hour,
              (SELECT sum(calls) FROM ${ch.database}.usage_day) AS day`,
    );
    expect(totals).toEqual({ rows: 16, ids: 16, minute: 16, hour: 16, day: 16 });
    expect((await inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
  });
});
