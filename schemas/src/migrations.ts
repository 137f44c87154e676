// Numbered SQL migrations under schemas/clickhouse, applied in order and recorded in
// <db>.schema_migrations. Every statement is idempotent (IF NOT EXISTS), so a migration that
// failed halfway is simply run again.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLUSTER_CLIENT_SETTINGS } from '@tollgate/platform';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../clickhouse/', import.meta.url));

export interface MigrationTarget {
  database: string;
  /** ClickHouse cluster name: Replicated engines and ON CLUSTER DDL. Unset for a single node. */
  cluster?: string;
  usageRetentionDays: number;
  /** Retention of the per-minute usage rollup (hour and day rollups keep usageRetentionDays). */
  minuteRollupRetentionDays?: number;
  /** Retention of the latency tables, which are operational data, not business records. */
  latencyRetentionDays?: number;
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => {
      const sql = readFileSync(dir + file, 'utf8');
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        sql,
        checksum: createHash('sha256').update(sql).digest('hex').slice(0, 16),
      };
    });
}

/**
 * Expands the template tokens of a migration:
 *   {{db}}                  the target database
 *   {{on_cluster}}          `ON CLUSTER name`, or nothing on a single node
 *   {{engine X(args)}}      X(args), or ReplicatedX('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', args)
 *   {{engine_unsharded X(args)}}
 *                           X(args), or ReplicatedX('/clickhouse/tables/unsharded/{database}/{table}', '{replica}', args):
 *                           one copy on every node of every shard, for a table that is not Distributed
 *   {{usage_retention_days}}, {{rollup_minute_retention_days}}, {{latency_retention_days}}
 *   {{local T}}             T on a single node; T_local on a cluster, where T is a Distributed table
 *   {{distributed T sharded by EXPR}}
 *                           on a cluster, the Distributed table T over T_local; nothing on a single node
 *   {{alter_distributed T CHANGE}}
 *                           on a cluster, ALTER TABLE T (the Distributed table) CHANGE, so it keeps the
 *                           columns of T_local; nothing on a single node
 */
export function renderMigration(sql: string, target: MigrationTarget): string {
  return sql.replace(/\{\{\s*([a-z_]+)(?:\s+([^}]*))?\s*\}\}/g, (_all, token: string, arg: string | undefined) => {
    switch (token) {
      case 'db':
        return target.database;
      case 'on_cluster':
        return target.cluster ? `ON CLUSTER '${target.cluster}'` : '';
      case 'usage_retention_days':
        return String(target.usageRetentionDays);
      case 'rollup_minute_retention_days':
        return String(target.minuteRollupRetentionDays ?? 35);
      case 'latency_retention_days':
        return String(target.latencyRetentionDays ?? 30);
      case 'local':
        return target.cluster ? `${(arg ?? '').trim()}_local` : (arg ?? '').trim();
      case 'distributed':
        return renderDistributed((arg ?? '').trim(), target);
      case 'alter_distributed': {
        const [, table, change] = /^([a-z_]+)\s+(.+)$/s.exec((arg ?? '').trim()) ?? [];
        if (!table || !change) throw new Error(`{{alter_distributed}} needs "table CHANGE", got "${arg ?? ''}"`);
        return target.cluster ? `ALTER TABLE ${target.database}.${table} ON CLUSTER '${target.cluster}' ${change}` : '';
      }
      case 'engine':
        return renderEngine((arg ?? '').trim(), target, '{shard}');
      case 'engine_unsharded':
        return renderEngine((arg ?? '').trim(), target, 'unsharded');
      default:
        throw new Error(`unknown migration token {{${token}}}`);
    }
  });
}

function renderDistributed(spec: string, target: MigrationTarget): string {
  const match = /^([a-z_]+) sharded by (.+)$/.exec(spec);
  if (!match) throw new Error(`{{distributed}} needs "table sharded by expression", got "${spec}"`);
  const [, table, shardingKey] = match as unknown as [string, string, string];
  if (!target.cluster) return '';
  return (
    `CREATE TABLE IF NOT EXISTS ${target.database}.${table} ON CLUSTER '${target.cluster}' ` +
    `AS ${target.database}.${table}_local ` +
    `ENGINE = Distributed('${target.cluster}', ${target.database}, ${table}_local, ${shardingKey})`
  );
}

function renderEngine(engine: string, target: MigrationTarget, shard: '{shard}' | 'unsharded'): string {
  const match = /^([A-Za-z]*MergeTree)(?:\((.*)\))?$/.exec(engine);
  if (!match) throw new Error(`{{engine}} needs a MergeTree family engine, got "${engine}"`);
  const [, family, args] = match as unknown as [string, string, string | undefined];
  if (!target.cluster) return args === undefined ? family : `${family}(${args})`;
  const replicated = [`'/clickhouse/tables/${shard}/{database}/{table}'`, `'{replica}'`];
  if (args) replicated.push(args);
  return `Replicated${family}(${replicated.join(', ')})`;
}

/** Splits a migration into statements on semicolons that end a line; comments are dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;[ \t]*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export interface MigrationReport {
  applied: string[];
  skipped: string[];
}

/** Versions recorded in <db>.schema_migrations; none when the database or the table does not exist yet. */
async function appliedVersions(client: ClickHouseClient, database: string): Promise<Set<number>> {
  const exists = await client.query({
    query: `SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = 'schema_migrations'`,
    query_params: { db: database },
    format: 'JSONEachRow',
  });
  const [{ n = 0 } = {}] = await exists.json<{ n: number | string }>();
  if (Number(n) === 0) return new Set();
  const done = await client.query({ query: `SELECT version FROM ${database}.schema_migrations FINAL`, format: 'JSONEachRow' });
  return new Set((await done.json<{ version: number }>()).map((r) => Number(r.version)));
}

/** The migrations `migrate` would apply now, in order, without changing anything. */
export async function pendingMigrations(client: ClickHouseClient, target: MigrationTarget, migrations = loadMigrations()): Promise<Migration[]> {
  const applied = await appliedVersions(client, target.database);
  return migrations.filter((m) => !applied.has(m.version));
}

/**
 * The table of applied migrations. Not Distributed: every node of every shard holds all of it, so
 * whichever node a service's migration reaches answers what was applied (with one copy per shard,
 * a node of another shard would find nothing and apply everything again, 0007's DROP VIEW included).
 */
export const SCHEMA_MIGRATIONS_DDL = `CREATE TABLE IF NOT EXISTS {{db}}.schema_migrations {{on_cluster}}
       (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
       ENGINE = {{engine_unsharded ReplacingMergeTree(applied_at)}} ORDER BY version`;

/** An INSERT of a migration on a cluster goes through a Distributed table and returns once the shards hold it. */
function statementSettings(statement: string, target: MigrationTarget): Record<string, number> | undefined {
  return target.cluster && /^INSERT\b/i.test(statement) ? { ...CLUSTER_CLIENT_SETTINGS } : undefined;
}

export async function migrate(
  client: ClickHouseClient,
  target: MigrationTarget,
  migrations = loadMigrations(),
): Promise<MigrationReport> {
  const onCluster = renderMigration('{{on_cluster}}', target);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${target.database} ${onCluster}` });
  await client.command({ query: renderMigration(SCHEMA_MIGRATIONS_DDL, target) });
  const applied = await appliedVersions(client, target.database);

  const report: MigrationReport = { applied: [], skipped: [] };
  for (const migration of migrations) {
    if (applied.has(migration.version)) {
      report.skipped.push(migration.name);
      continue;
    }
    for (const statement of splitStatements(renderMigration(migration.sql, target))) {
      const settings = statementSettings(statement, target);
      await client.command({ query: statement, ...(settings ? { clickhouse_settings: settings } : {}) });
    }
    await client.insert({
      table: `${target.database}.schema_migrations`,
      values: [{ version: migration.version, name: migration.name, checksum: migration.checksum }],
      format: 'JSONEachRow',
    });
    report.applied.push(migration.name);
  }
  return report;
}
