import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '@tollgate/platform';
import { testClickHouse, type TestClickHouse } from '../../test/harness/clickhouse.ts';
import { loadMigrations, migrate, pendingMigrations, renderMigration, splitStatements } from '../src/migrations.ts';

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
    // What --dry-run lists: everything before the first run (the database does not exist yet), nothing after.
    expect((await pendingMigrations(ch.client, target)).map((m) => m.name)).toEqual(loadMigrations().map((m) => m.name));
    const first = await migrate(ch.client, target);
    expect(await pendingMigrations(ch.client, target)).toEqual([]);
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
    // An hour ago, from the clock: inside the table's 30-day TTL whatever the date.
    const at = new Date(Math.floor(Date.now() / 1_000) * 1_000 - 3_600_000 + 123);
    await ch.client.insert({
      table: `${ch.database}.api_requests`,
      values: [{ event_id: 'e-1', ts: at.toISOString().slice(0, 23).replace('T', ' '), method: 'GET', path: '/orders/1', status: 200, consumer_id: 'c-1' }],
      format: 'JSONEachRow',
    });
    const rows = await queryRows<{ event_id: string; ts: string; status: number; consumer_id: string }>(
      ch.client,
      `SELECT event_id, ts, status, consumer_id FROM ${ch.database}.api_requests`,
    );
    expect(rows).toEqual([{ event_id: 'e-1', ts: at.toISOString(), status: 200, consumer_id: 'c-1' }]);
  });
});

describe('rollup coverage (0004)', () => {
  const coverage = async (database: string): Promise<Map<string, string>> =>
    new Map(
      (await queryRows<{ rollup_table: string; since: string }>(ch.client, `SELECT rollup_table, toString(min(since)) AS since FROM ${database}.rollup_coverage GROUP BY rollup_table`)).map(
        (r) => [r.rollup_table, r.since],
      ),
    );
  const ROLLUPS = ['billing_day', 'billing_hour', 'billing_minute', 'billing_month', 'consumer_day', 'event_copies', 'event_keys', 'geo_day', 'invoice_usage_month', 'latency_day', 'latency_hour'];

  it('on an empty database, the new rollups hold everything from the epoch', async () => {
    const since = await coverage(ch.database);
    expect([...since.keys()].sort()).toEqual(ROLLUPS);
    for (const value of since.values()) expect(value).toBe('1970-01-01 00:00:00.000');
  });

  it('on a database that already holds usage, they hold it from the migration on, and a rerun keeps the first answer', async () => {
    const database = `${ch.database}_upgrade`;
    const target = { database, usageRetentionDays: 30 };
    try {
      await migrate(ch.client, target, loadMigrations().filter((m) => m.version < 4));
      // Yesterday: inside every retention, so the rows stay.
      const ts = new Date(Date.now() - 86_400_000).toISOString().replace('T', ' ').replace('Z', '');
      await ch.client.insert({ table: `${database}.api_requests`, values: [{ event_id: 'old', ts, consumer_id: 'c' }], format: 'JSONEachRow' });
      await ch.client.insert({ table: `${database}.request_latency`, values: [{ event_id: 'old', ts, total_ms: 5 }], format: 'JSONEachRow' });
      // ClickHouse stamps coverage with its own clock, which need not agree with this process's.
      const [{ before } = { before: '' }] = await queryRows<{ before: string }>(ch.client, 'SELECT toString(now64(3)) AS before');
      await migrate(ch.client, target);
      const since = await coverage(database);
      expect([...since.keys()].sort()).toEqual(ROLLUPS);
      for (const value of since.values()) expect(new Date(`${value.replace(' ', 'T')}Z`).getTime()).toBeGreaterThanOrEqual(new Date(`${before.replace(' ', 'T')}Z`).getTime() - 1000);
      // The old row is in none of the new rollups: readers take it from the raw table.
      const counts = await queryRows<{ raw: string; rollup: string }>(
        ch.client,
        `SELECT (SELECT count() FROM ${database}.api_requests) AS raw, (SELECT count() FROM ${database}.billing_hour) AS rollup`,
      );
      expect(counts.map((r) => [Number(r.raw), Number(r.rollup)])).toEqual([[1, 0]]);
      await ch.client.command({ query: `DELETE FROM ${database}.schema_migrations WHERE version = 4` });
      await migrate(ch.client, target);
      expect(await coverage(database)).toEqual(since);
    } finally {
      await ch.client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    }
  });
});

describe('gateway decision (0007)', () => {
  it('refused calls stay out of the billing rollups and go to the refused rollups; allowed and undecided calls the other way', async () => {
    // An hour ago: inside every retention whatever the date.
    const ts = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000).toISOString().replace('T', ' ').replace('Z', '');
    const row = (event_id: string, decision: string | undefined) => ({
      event_id, ts, api: 'search', consumer_id: 'c-7', plan_id: 'trial', method: 'GET', status_class: decision === undefined || decision === 'allow' ? '2xx' : '4xx',
      request_bytes: 10, ...(decision === undefined ? {} : { decision }),
    });
    await ch.client.insert({
      table: `${ch.database}.api_requests`,
      values: [row('d-1', undefined), row('d-2', 'allow'), row('d-3', 'quota'), row('d-4', 'quota'), row('d-5', 'blocked')],
      format: 'JSONEachRow',
    });
    const billing = await queryRows<{ calls: string; bytes: string }>(
      ch.client,
      `SELECT sum(calls) AS calls, sum(request_bytes) AS bytes FROM ${ch.database}.billing_minute WHERE consumer_id = 'c-7'`,
    );
    expect(billing.map((r) => [Number(r.calls), Number(r.bytes)])).toEqual([[2, 20]]);
    for (const table of ['refused_minute', 'refused_hour', 'refused_day']) {
      const refused = await queryRows<{ decision: string; calls: string }>(
        ch.client,
        `SELECT decision, sum(calls) AS calls FROM ${ch.database}.${table} WHERE consumer_id = 'c-7' AND api = 'search' AND plan_id = 'trial' GROUP BY decision ORDER BY decision`,
      );
      expect(refused.map((r) => [r.decision, Number(r.calls)]), table).toEqual([['blocked', 1], ['quota', 2]]);
    }
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
    // 18 views; 0007 creates billing_minute_mv again (dropped first), hence distinct names.
    const views = new Set(ddl.filter((s) => s.startsWith('CREATE MATERIALIZED VIEW')).map((s) => /CREATE MATERIALIZED VIEW IF NOT EXISTS (\S+)/.exec(s)?.[1]));
    expect(views.size).toBe(18);
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
