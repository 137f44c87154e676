// What the query routes share: the schema error answer (invalid_parameter naming the parameter),
// empty values read as absent, and running a query under the duration histogram.
import type { FastifyInstance } from 'fastify';
import type { Histogram } from 'prom-client';
import { inputErrorFormatter } from '@tollgate/platform';
import { DASHBOARD_FORMATS, ParamError, withoutEmptyValues, type NamedQuery, type QueryContext, type QueryParams } from '../queries/index.ts';

export const schemaErrorFormatter = inputErrorFormatter(DASHBOARD_FORMATS, (param, problem) => new ParamError(param ?? 'query', problem));

/** `?api=&limit=` means "not given": the defaults apply, as they did before the schemas. */
export function emptyValuesAreAbsent(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    request.query = withoutEmptyValues(request.query as Record<string, unknown>);
  });
}

export function queryRunner(ctx: QueryContext, duration: Histogram<'query' | 'outcome'>) {
  return async (query: NamedQuery, params: QueryParams): Promise<{ rows: unknown[] }> => {
    const end = duration.startTimer({ query: query.name });
    try {
      const rows = await query.run(ctx, params);
      end({ outcome: 'ok' });
      return { rows };
    } catch (error) {
      end({ outcome: 'error' });
      throw error;
    }
  };
}
