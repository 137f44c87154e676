// What the query routes share: the schema error answer (invalid_parameter naming the parameter),
// empty values read as absent, and running a query under the duration histogram and a time limit.
// The limit is ClickHouse's own max_execution_time, set on every statement a named query sends
// (through the client it is handed), so a heavy query is stopped by the server and answered 504
// query_timeout instead of holding a connection and the request open.
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import { inputErrorFormatter } from '@tollgate/platform';
import { QueryTimeout } from '../errors.ts';
import { DASHBOARD_FORMATS, ParamError, withoutEmptyValues, type NamedQuery, type QueryContext, type QueryParams } from '../queries/index.ts';

export const schemaErrorFormatter = inputErrorFormatter(DASHBOARD_FORMATS, (param, problem) => new ParamError(param ?? 'query', problem));

/** `?api=&limit=` means "not given": the defaults apply, as they did before the schemas. */
export function emptyValuesAreAbsent(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    request.query = withoutEmptyValues(request.query as Record<string, unknown>);
  });
}

/** ClickHouse's TIMEOUT_EXCEEDED (code 159): the query ran past max_execution_time. */
function isTimeout(error: unknown): boolean {
  const e = error as { code?: unknown; type?: unknown } | undefined;
  return e?.code === '159' || e?.type === 'TIMEOUT_EXCEEDED';
}

/** The client, with `max_execution_time` (seconds, fractions allowed) on every query it sends. */
export function withTimeLimit(client: ClickHouseClient, timeoutMs: number): ClickHouseClient {
  const query = ((params: Parameters<ClickHouseClient['query']>[0]) =>
    client.query({ ...params, clickhouse_settings: { ...params.clickhouse_settings, max_execution_time: timeoutMs / 1000 } })) as ClickHouseClient['query'];
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'query') return query;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function queryRunner(ctx: QueryContext, duration: Histogram<'query' | 'outcome'>, timeoutMs: number) {
  const limited: QueryContext = { ...ctx, client: withTimeLimit(ctx.client, timeoutMs) };
  return async (query: NamedQuery, params: QueryParams): Promise<{ rows: unknown[] }> => {
    const end = duration.startTimer({ query: query.name });
    try {
      const rows = await query.run(limited, params);
      end({ outcome: 'ok' });
      return { rows };
    } catch (error) {
      if (isTimeout(error)) {
        end({ outcome: 'timeout' });
        throw new QueryTimeout(timeoutMs);
      }
      end({ outcome: 'error' });
      throw error;
    }
  };
}
