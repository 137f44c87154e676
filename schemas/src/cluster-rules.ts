// The rules that make rendered migrations valid on a ClickHouse cluster of Replicated tables behind
// Distributed ones. No cluster can run here, so the DDL is kept honest on paper: every statement of
// every migration, rendered for CLICKHOUSE_CLUSTER, is checked against these rules (schemas/test/
// cluster-rules.test.ts), and a migration that breaks one fails the tests instead of a deployment.
//
//   on-cluster       every DDL statement names the cluster (ON CLUSTER), so every node gets it.
//   replicated       a MergeTree-family table is Replicated, its path holds {shard} (or `unsharded`
//                    for a table every node holds whole), {database} and {table}, its replica
//                    '{replica}'; a sharded table is named *_local.
//   distributed      a Distributed table T is created AS T_local, over T_local on this cluster and
//                    database, after T_local; every *_local table has its Distributed table.
//   view-local       a materialized view is *_local, reads only *_local tables (a view fires on the
//                    node whose local table took the insert) and writes into a *_local table.
//   dedup-window     a table in the views' graph (the usage and latency tables the enricher inserts
//                    into with insert_deduplication_token, and every view target) sets
//                    replicated_deduplication_window > 0 and non_replicated_deduplication_window to
//                    the same value, so a replayed insert is dropped at every level on both kinds.
//   versioned-shard  a Distributed table over a Replacing* table (read with FINAL) shards by columns
//                    of its ORDER BY: every version of a row lands on one shard, where FINAL sees it.
//   alter-both       a column added, dropped or changed on T_local is changed on T too.
//   insert-distributed
//                    an INSERT goes into a Distributed table (migrate sends it with
//                    insert_distributed_sync, as every cluster client does: CLUSTER_CLIENT_SETTINGS).

export interface ClusterRuleContext {
  cluster: string;
  database: string;
}

export interface ClusterProblem {
  rule: string;
  statement: string;
  problem: string;
}

interface TableInfo {
  engine: string;
  args: string[];
  orderBy: string[];
  settings: Map<string, string>;
}

const LOCAL = '_local';
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The arguments of the call that opens at `open` (a '('), split on top-level commas. */
function callArguments(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = open; i < text.length; i += 1) {
    const c = text[i] as string;
    if (c === "'" && text[i - 1] !== '\\') quoted = !quoted;
    if (!quoted && c === '(') {
      depth += 1;
      if (depth === 1) continue;
    }
    if (!quoted && c === ')') {
      depth -= 1;
      if (depth === 0) break;
    }
    if (!quoted && depth === 1 && c === ',') {
      args.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  if (current.trim() !== '') args.push(current.trim());
  return args;
}

function tableInfo(statement: string): TableInfo | undefined {
  const engine = /ENGINE\s*=\s*(\w+)/.exec(statement);
  if (!engine) return undefined;
  const after = (engine.index ?? 0) + engine[0].length;
  const args = statement[after] === '(' ? callArguments(statement, after) : [];
  const orderBy = /ORDER BY\s+(\([^)]*\)|\w+)/.exec(statement)?.[1]?.replace(/[()]/g, '').split(',').map((c) => c.trim()).filter((c) => c !== '') ?? [];
  const settings = new Map<string, string>();
  for (const [, key, value] of (/SETTINGS\s+(.*)$/s.exec(statement)?.[1] ?? '').matchAll(/(\w+)\s*=\s*([^,\s]+)/g)) settings.set(key as string, value as string);
  return { engine: engine[1] as string, args, orderBy, settings };
}

const unquote = (arg: string | undefined) => (arg ?? '').replace(/^'(.*)'$/s, '$1');

/** Every problem of the rendered statements, in statement order; none for a cluster-valid schema. */
export function clusterDdlProblems(statements: readonly string[], context: ClusterRuleContext): ClusterProblem[] {
  const db = escape(context.database);
  const onCluster = `ON CLUSTER '${context.cluster}'`;
  const problems: ClusterProblem[] = [];
  const tables = new Map<string, TableInfo>();
  const distributed = new Map<string, string[]>();
  const viewGraph = new Set<string>();
  const columnChanges: Array<{ table: string; change: string; statement: string }> = [];
  const report = (rule: string, statement: string, problem: string) => problems.push({ rule, statement: statement.slice(0, 160), problem });

  for (const statement of statements) {
    const ddl = /^(CREATE|ALTER|DROP|RENAME|TRUNCATE)\b/i.test(statement);
    if (ddl && !new RegExp(`^\\w+ (?:MATERIALIZED VIEW|TABLE|VIEW|DATABASE)(?: IF (?:NOT )?EXISTS)? \\S+ ${escape(onCluster)}`).test(statement)) {
      report('on-cluster', statement, `a DDL statement without ${onCluster} after its name`);
    }

    const table = new RegExp(`^CREATE TABLE IF NOT EXISTS ${db}\\.(\\w+) `).exec(statement);
    if (table) {
      const name = table[1] as string;
      const info = tableInfo(statement);
      if (!info) {
        report('replicated', statement, `${name} has no ENGINE`);
        continue;
      }
      if (info.engine === 'Distributed') {
        const [cluster, database, local, shardingKey] = info.args;
        const over = `${name}${LOCAL}`;
        if (unquote(cluster) !== context.cluster || database !== context.database || local !== over) {
          report('distributed', statement, `${name} must be Distributed('${context.cluster}', ${context.database}, ${over}, …)`);
        }
        if (!new RegExp(`\\bAS ${db}\\.${escape(over)}\\b`).test(statement)) report('distributed', statement, `${name} must be created AS ${context.database}.${over}`);
        const localInfo = tables.get(over);
        if (!localInfo) report('distributed', statement, `${name} comes before its local table ${over}`);
        else if (localInfo.engine.includes('Replacing')) {
          const keyColumns = [...(shardingKey ?? '').matchAll(/\b([a-z_][a-z0-9_]*)\b(?!\s*\()/g)].map((m) => m[1] as string);
          if (keyColumns.length === 0 || keyColumns.some((c) => !localInfo.orderBy.includes(c))) {
            report('versioned-shard', statement, `${name} is read with FINAL: shard by ORDER BY columns (${localInfo.orderBy.join(', ')}), not ${shardingKey ?? 'nothing'}`);
          }
        }
        distributed.set(name, info.args);
        continue;
      }
      if (/MergeTree$/.test(info.engine)) {
        const [path, replica] = info.args;
        const unsharded = unquote(path).startsWith('/clickhouse/tables/unsharded/');
        if (!info.engine.startsWith('Replicated')) report('replicated', statement, `${name} uses ${info.engine}, not a Replicated engine`);
        else if (!(unquote(path).includes('{shard}') || unsharded) || !/\{database\}|\{uuid\}/.test(path ?? '') || !/\{table\}|\{uuid\}/.test(path ?? '') || unquote(replica) !== '{replica}') {
          report('replicated', statement, `${name}: the path needs {shard} (or unsharded), {database} and {table}, the replica '{replica}'`);
        }
        if (!unsharded && !name.endsWith(LOCAL)) report('replicated', statement, `${name} is a sharded table: name it ${name}${LOCAL} behind a Distributed ${name}`);
        tables.set(name, info);
        continue;
      }
      report('replicated', statement, `${name}: unexpected engine ${info.engine}`);
      continue;
    }

    const view = new RegExp(`^CREATE MATERIALIZED VIEW IF NOT EXISTS ${db}\\.(\\w+) .*?\\bTO ${db}\\.(\\w+) AS\\b`, 's').exec(statement);
    if (view) {
      const [, name, target] = view as unknown as [string, string, string];
      if (!name.endsWith(LOCAL)) report('view-local', statement, `view ${name} must be a *_local view`);
      if (!target.endsWith(LOCAL) || !tables.has(target)) report('view-local', statement, `view ${name} must write into a local table created before it, not ${target}`);
      viewGraph.add(target);
      for (const [, source] of statement.matchAll(new RegExp(`\\b(?:FROM|JOIN) ${db}\\.(\\w+)`, 'g'))) {
        if (!source?.endsWith(LOCAL)) report('view-local', statement, `view ${name} reads ${source}: a view must read the local table`);
        else viewGraph.add(source);
      }
      continue;
    }

    const alter = new RegExp(`^ALTER TABLE ${db}\\.(\\w+) `).exec(statement);
    if (alter) {
      for (const [, change] of statement.matchAll(/\b((?:ADD|DROP|MODIFY|RENAME) COLUMN(?: IF (?:NOT )?EXISTS)? \w+)/g)) {
        columnChanges.push({ table: alter[1] as string, change: (change as string).replace(/ IF (NOT )?EXISTS/, ''), statement });
      }
      continue;
    }

    const insert = new RegExp(`^INSERT INTO ${db}\\.(\\w+)`).exec(statement);
    if (insert) {
      if (!distributed.has(insert[1] as string)) report('insert-distributed', statement, `INSERT INTO ${insert[1]}: insert into a Distributed table`);
      continue;
    }
    if (/^DROP (?:VIEW|TABLE) IF EXISTS /.test(statement)) continue;
    report('unknown', statement, 'a statement of a kind these rules do not know: add its rule');
  }

  for (const name of tables.keys()) {
    if (name.endsWith(LOCAL) && !distributed.has(name.slice(0, -LOCAL.length))) {
      report('distributed', `CREATE TABLE ${name}`, `${name} has no Distributed table ${name.slice(0, -LOCAL.length)}`);
    }
  }
  for (const name of viewGraph) {
    const settings = tables.get(name)?.settings;
    const replicated = Number(settings?.get('replicated_deduplication_window') ?? 0);
    if (!(replicated > 0) || settings?.get('non_replicated_deduplication_window') !== settings?.get('replicated_deduplication_window')) {
      report('dedup-window', `CREATE TABLE ${name}`, `${name} is fed by deduplicated inserts: set replicated_deduplication_window > 0 and non_replicated_deduplication_window to the same value`);
    }
  }
  for (const { table, change, statement } of columnChanges.filter((c) => c.table.endsWith(LOCAL))) {
    const base = table.slice(0, -LOCAL.length);
    if (distributed.has(base) && !columnChanges.some((c) => c.table === base && c.change === change)) {
      report('alter-both', statement, `${change} on ${table} but not on its Distributed table ${base}`);
    }
  }
  return problems;
}
