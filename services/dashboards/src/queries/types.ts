import type { ClickHouseClient } from '@clickhouse/client';
import type { PlanCatalog } from '@tollgate/pricing';
import { queryRows } from '@tollgate/platform';
import { chDateTime, type ParamSpec, type QueryParams } from './params.ts';
import type { Retention } from './sources.ts';

export interface QueryContext {
  client: ClickHouseClient;
  /** Validated identifier (platform's clickHouseSettingsFromEnv); the only SQL interpolation. */
  database: string;
  plans: PlanCatalog;
  retention: Retention;
  now(): Date;
}

export type ColumnType = 'string' | 'integer' | 'number' | 'datetime' | 'money_minor';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

export type Row = Record<string, string | number | null>;

export interface NamedQuery {
  name: string;
  description: string;
  params: readonly ParamSpec[];
  columns: readonly ColumnSpec[];
  run(ctx: QueryContext, params: QueryParams): Promise<Row[]>;
}

/** The query parameters every SQL text may use; absent filters are empty strings. */
export function sqlParams(params: QueryParams): Record<string, unknown> {
  return {
    from: chDateTime(params.from),
    to: chDateTime(params.to),
    api: params.api ?? '',
    consumer: params.consumer ?? '',
    limit: params.limit,
  };
}

/** The optional filters, as predicates on query parameters. */
export const API_FILTER = `({api:String} = '' OR api = {api:String})`;
export const CONSUMER_FILTER = `({consumer:String} = '' OR consumer_id = {consumer:String})`;

/**
 * Counters arrive as strings (ClickHouse quotes 64-bit integers in JSON); a dashboard count never
 * nears 2^53, so integer columns become JSON numbers.
 */
function coerce(rows: Record<string, unknown>[], columns: readonly ColumnSpec[]): Row[] {
  return rows.map((row) => {
    const out: Row = {};
    for (const column of columns) {
      const value = row[column.name] as string | number | boolean | null | undefined; // JSON scalars
      if (value === undefined || value === null) out[column.name] = null;
      else if (column.type === 'integer' || column.type === 'number') out[column.name] = Number(value);
      else out[column.name] = String(value);
    }
    return out;
  });
}

export interface SqlQueryDefinition {
  name: string;
  description: string;
  params: readonly ParamSpec[];
  columns: readonly ColumnSpec[];
  /**
   * Builds the SQL from constants, the database name and the chosen source; never from values.
   * Extra query parameters (e.g. the bounds of a split range) may come with it.
   */
  sql(database: string, params: QueryParams, ctx: QueryContext): string | { sql: string; params: Record<string, unknown> };
}

export function sqlQuery(definition: SqlQueryDefinition): NamedQuery {
  return {
    ...definition,
    async run(ctx, params) {
      const built = definition.sql(ctx.database, params, ctx);
      const { sql, params: extra } = typeof built === 'string' ? { sql: built, params: {} } : built;
      const rows = await queryRows<Record<string, unknown>>(ctx.client, sql, { ...sqlParams(params), ...extra });
      return coerce(rows, definition.columns);
    },
  };
}

export const col = (name: string, type: ColumnType = 'integer'): ColumnSpec => ({ name, type });
