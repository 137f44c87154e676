// Every migration rendered for a cluster obeys the rules of a Replicated/Distributed deployment
// (src/cluster-rules.ts), each rule catches the statement that breaks it, and migrate sends a
// migration's INSERT the way every cluster client inserts: into the Distributed table, synchronously.
import type { ClickHouseClient } from '@clickhouse/client';
import { describe, expect, it } from 'vitest';
import { CLUSTER_CLIENT_SETTINGS, clickHouseSettingsFromEnv, clientSettings } from '@tollgate/platform';
import { clusterDdlProblems } from '../src/cluster-rules.ts';
import { loadMigrations, migrate, renderMigration, SCHEMA_MIGRATIONS_DDL, splitStatements, type MigrationTarget } from '../src/migrations.ts';

const target: MigrationTarget = { database: 'tg', cluster: 'analytics', usageRetentionDays: 400 };
const context = { cluster: 'analytics', database: 'tg' };
const rendered = (sql: string) => splitStatements(renderMigration(sql, target));
const every = () => [...rendered(SCHEMA_MIGRATIONS_DDL), ...loadMigrations().flatMap((m) => rendered(m.sql))];
const rulesBroken = (sql: string) => clusterDdlProblems(rendered(sql), context).map((p) => p.rule);

/** A local table and its Distributed table, as the migrations write them. */
const pair = (name: string, engine = 'MergeTree', settings = ' SETTINGS non_replicated_deduplication_window = 100, replicated_deduplication_window = 100') =>
  `CREATE TABLE IF NOT EXISTS {{db}}.{{local ${name}}} {{on_cluster}} (k String, v UInt64) ENGINE = {{engine ${engine}}} ORDER BY k${settings};\n` +
  `{{distributed ${name} sharded by cityHash64(k)}};\n`;

describe('the migrations on a ClickHouse cluster', () => {
  it('every statement of every migration, schema_migrations included, obeys every rule', () => {
    const statements = every();
    expect(statements.length).toBeGreaterThan(90);
    expect(clusterDdlProblems(statements, context)).toEqual([]);
  });

  it('schema_migrations is one table every node holds whole, so any node answers what was applied', () => {
    expect(rendered(SCHEMA_MIGRATIONS_DDL)[0]).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/unsharded/{database}/{table}', '{replica}', applied_at)");
    expect(renderMigration(SCHEMA_MIGRATIONS_DDL, { database: 'tg', usageRetentionDays: 1 })).toContain('ENGINE = ReplacingMergeTree(applied_at)');
  });
});

describe('each rule catches what breaks it', () => {
  it('on-cluster: DDL without ON CLUSTER', () => {
    expect(rulesBroken(`${pair('t')}ALTER TABLE {{db}}.{{local t}} ADD INDEX IF NOT EXISTS i v TYPE minmax GRANULARITY 1`)).toEqual(['on-cluster']);
  });

  it('replicated: a plain engine, a path without {shard}, a sharded table not named *_local', () => {
    expect(rulesBroken(`CREATE TABLE IF NOT EXISTS {{db}}.{{local t}} {{on_cluster}} (k String) ENGINE = MergeTree ORDER BY k;\n{{distributed t sharded by rand()}}`)).toEqual(['replicated']);
    expect(rulesBroken(`CREATE TABLE IF NOT EXISTS {{db}}.{{local t}} {{on_cluster}} (k String) ENGINE = ReplicatedMergeTree('/ch/{database}/{table}', '{replica}') ORDER BY k;\n{{distributed t sharded by rand()}}`)).toEqual(['replicated']);
    expect(rulesBroken(`CREATE TABLE IF NOT EXISTS {{db}}.t {{on_cluster}} (k String) ENGINE = {{engine MergeTree}} ORDER BY k`)).toEqual(['replicated']);
  });

  it('distributed: a local table without a Distributed table, a Distributed table over another table', () => {
    expect(rulesBroken(`CREATE TABLE IF NOT EXISTS {{db}}.{{local t}} {{on_cluster}} (k String) ENGINE = {{engine MergeTree}} ORDER BY k`)).toEqual(['distributed']);
    expect(rulesBroken(`${pair('t')}CREATE TABLE IF NOT EXISTS {{db}}.u {{on_cluster}} AS {{db}}.t_local ENGINE = Distributed('analytics', tg, t_local, rand());\nCREATE TABLE IF NOT EXISTS {{db}}.{{local u}} {{on_cluster}} (k String) ENGINE = {{engine MergeTree}} ORDER BY k`)).toEqual(['distributed', 'distributed', 'distributed']);
  });

  it('view-local: a view reading the Distributed table; dedup-window: its target without deduplication windows', () => {
    expect(
      rulesBroken(`${pair('src')}${pair('dst', 'SummingMergeTree', '')}CREATE MATERIALIZED VIEW IF NOT EXISTS {{db}}.{{local dst_mv}} {{on_cluster}} TO {{db}}.{{local dst}} AS SELECT k, count() AS v FROM {{db}}.src GROUP BY k`),
    ).toEqual(['view-local', 'dedup-window']);
  });

  it('versioned-shard: a Replacing table sharded by rand(), which FINAL cannot read right', () => {
    expect(rulesBroken(`CREATE TABLE IF NOT EXISTS {{db}}.{{local t}} {{on_cluster}} (k String, v UInt64) ENGINE = {{engine ReplacingMergeTree(v)}} ORDER BY k;\n{{distributed t sharded by rand()}}`)).toEqual(['versioned-shard']);
  });

  it('alter-both: a column added on the local table only; insert-distributed: an INSERT into a local table', () => {
    expect(rulesBroken(`${pair('t')}ALTER TABLE {{db}}.{{local t}} {{on_cluster}} ADD COLUMN IF NOT EXISTS w UInt8 DEFAULT 0`)).toEqual(['alter-both']);
    expect(rulesBroken(`${pair('t')}INSERT INTO {{db}}.{{local t}} (k) VALUES ('a')`)).toEqual(['insert-distributed']);
  });
});

describe('inserts on a cluster', () => {
  it('every client of a cluster inserts into Distributed tables synchronously; a single node sends nothing more', () => {
    const cluster = clickHouseSettingsFromEnv({ CLICKHOUSE_URL: 'http://ch:8123', CLICKHOUSE_CLUSTER: 'analytics' });
    expect(cluster.cluster).toBe('analytics');
    expect(clientSettings(cluster)).toEqual({ date_time_output_format: 'iso', insert_distributed_sync: 1 });
    expect(clientSettings(clickHouseSettingsFromEnv({}))).toEqual({ date_time_output_format: 'iso' });
  });

  it('migrate sends each INSERT of a migration with insert_distributed_sync, the DDL as it is', async () => {
    const sent: Array<{ query: string; clickhouse_settings?: Record<string, unknown> }> = [];
    const client = {
      command: async (params: { query: string; clickhouse_settings?: Record<string, unknown> }) => void sent.push(params),
      query: async () => ({ json: async () => [{ n: 0 }] }),
      insert: async () => undefined,
    } as unknown as ClickHouseClient;
    await migrate(client, target);
    const inserts = sent.filter((s) => /^INSERT/.test(s.query));
    expect(inserts.length).toBeGreaterThan(0);
    for (const insert of inserts) expect(insert.clickhouse_settings).toEqual(CLUSTER_CLIENT_SETTINGS);
    expect(sent.filter((s) => !/^INSERT/.test(s.query)).every((s) => s.clickhouse_settings === undefined)).toBe(true);
  });
});
