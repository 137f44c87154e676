import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@tollgate/platform';
import { testClickHouse, type TestClickHouse } from '../../test/harness/clickhouse.ts';
import { loadMigrations, migrate, renderMigration, splitStatements } from '../src/migrations.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await testClickHouse('migrations');
});
afterAll(async () => {
  await ch.client.command({ query: `DROP DATABASE IF EXISTS ${ch.database}` });
  await ch.client.close();
});

describe('ClickHouse migrations on the embedded engine', () => {
  it('apply twice in a row: the second run applies nothing and fails on nothing', async () => {
    const target = { database: ch.database, usageRetentionDays: 30 };
    const first = await migrate(ch.client, target);
    expect(first.applied).toEqual(loadMigrations().map((m) => m.name));
    const second = await migrate(ch.client, target);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(first.applied);

    const recorded = await queryRows<{ version: number }>(
      ch.client,
      `SELECT version FROM ${ch.database}.schema_migrations FINAL ORDER BY version`,
    );
    expect(recorded.map((r) => Number(r.version))).toEqual(loadMigrations().map((m) => m.version));
  });

  it('a row inserted through the factory client is read back', async () => {
    await ch.client.insert({
      table: `${ch.database}.api_requests`,
      values: [{ event_id: 'e-1', ts: '2026-11-26 06:00:00.123', method: 'GET', path: '/orders/1', status: 200, consumer_id: 'c-1' }],
      format: 'JSONEachRow',
    });
    const rows = await queryRows<{ event_id: string; ts: string; status: number; consumer_id: string }>(
      ch.client,
      `SELECT event_id, ts, status, consumer_id FROM ${ch.database}.api_requests`,
    );
    expect(rows).toEqual([{ event_id: 'e-1', ts: '2026-11-26T06:00:00.123Z', status: 200, consumer_id: 'c-1' }]);
  });
});

describe('migration templates', () => {
  const sql = 'CREATE TABLE IF NOT EXISTS {{db}}.t {{on_cluster}} (a UInt8) ENGINE = {{engine ReplacingMergeTree(v)}} ORDER BY a';

  it('render a single node', () => {
    expect(renderMigration(sql, { database: 'tg', usageRetentionDays: 1 })).toBe(
      'CREATE TABLE IF NOT EXISTS tg.t  (a UInt8) ENGINE = ReplacingMergeTree(v) ORDER BY a',
    );
  });

  it('render a cluster with Replicated engines and ON CLUSTER', () => {
    expect(renderMigration(sql, { database: 'tg', cluster: 'main', usageRetentionDays: 1 })).toBe(
      "CREATE TABLE IF NOT EXISTS tg.t ON CLUSTER 'main' (a UInt8) ENGINE = " +
        "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', v) ORDER BY a",
    );
  });

  it('reject unknown tokens', () => {
    expect(() => renderMigration('{{nope}}', { database: 'x', usageRetentionDays: 1 })).toThrow(/unknown migration token/);
  });

  it('split statements on line-ending semicolons and drop comments', () => {
    expect(splitStatements("-- note; here\nSELECT 1;\nSELECT ';' AS s;\n")).toEqual(['SELECT 1', "SELECT ';' AS s"]);
  });
});

describe('generated DDL for a single node and for a cluster', () => {
  const all = (cluster?: string): string[] =>
    loadMigrations().flatMap((m) =>
      splitStatements(renderMigration(m.sql, { database: 'tg', usageRetentionDays: 400, ...(cluster ? { cluster } : {}) })),
    );

  it('single node: MergeTree family engines, no ON CLUSTER, no Distributed tables', () => {
    const ddl = all();
    const usage = ddl.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS tg.api_requests '));
    expect(usage).toContain('ENGINE = MergeTree\nPARTITION BY toYYYYMM(ts)');
    expect(usage).toContain('TTL toDateTime(ts) + INTERVAL 400 DAY');
    expect(ddl.join('\n')).not.toMatch(/ON CLUSTER|Replicated|Distributed|_local/);
    expect(ddl.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'))).toHaveLength(4);
  });

  it('cluster: Replicated engines on *_local tables, ON CLUSTER, Distributed tables over them', () => {
    const ddl = all('analytics');
    const usage = ddl.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS tg.api_requests_local '));
    expect(usage).toContain("ON CLUSTER 'analytics'");
    expect(usage).toContain("ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')");
    expect(ddl).toContain(
      "CREATE TABLE IF NOT EXISTS tg.api_requests ON CLUSTER 'analytics' AS tg.api_requests_local " +
        "ENGINE = Distributed('analytics', tg, api_requests_local, cityHash64(consumer_id))",
    );
    const consumers = ddl.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS tg.consumers_local '));
    expect(consumers).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', version)");
    const minuteView = ddl.find((s) => s.startsWith('CREATE MATERIALIZED VIEW IF NOT EXISTS tg.usage_minute_mv_local'));
    expect(minuteView).toContain('TO tg.usage_minute_local');
    expect(minuteView).toContain('FROM tg.api_requests_local');
    for (const statement of ddl.filter((s) => s.startsWith('CREATE'))) expect(statement).toContain("ON CLUSTER 'analytics'");
  });
});
