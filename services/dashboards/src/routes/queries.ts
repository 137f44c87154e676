// GET /v1/queries (the list) and GET /v1/queries/{name}: the named queries, for admin tokens. Each
// query is its own route whose querystring schema is built from the parameters it declares, so
// validation and (later) the OpenAPI description come from one declaration.
import type { FastifyPluginAsync } from 'fastify';
import { NAMED_QUERIES, consumerUsage, querySchema, resolveParams, type NamedQuery, type QueryContext, type ValidQuery } from '../queries/index.ts';
import { errorResponses } from '@tollgate/platform';
import { UnknownQuery } from '../errors.ts';
import { QUERY_ERRORS, QUERY_LIST_ANSWER, rowsAnswer } from './answers.ts';
import { adminOnly, type Authenticate } from './callers.ts';
import { emptyValuesAreAbsent, schemaErrorFormatter, type queryRunner } from './query-run.ts';

export interface QueryRoutesOptions {
  ctx: QueryContext;
  authenticate: Authenticate;
  run: ReturnType<typeof queryRunner>;
}

function describe(query: NamedQuery): object {
  return { name: query.name, description: query.description, params: query.params, columns: query.columns };
}

export const queryRoutes: FastifyPluginAsync<QueryRoutesOptions> = async (app, { ctx, authenticate, run }) => {
  app.addHook('onRequest', adminOnly(authenticate));
  emptyValuesAreAbsent(app);

  const admin = { tags: ['queries'], security: [{ bearer: [] }] };
  app.get('/v1/queries', { schema: { ...admin, summary: 'The named queries', response: { 200: QUERY_LIST_ANSWER, ...QUERY_ERRORS } } }, async () => ({ queries: NAMED_QUERIES.map(describe), usage: describe(consumerUsage) }));

  for (const query of NAMED_QUERIES) {
    app.get<{ Querystring: ValidQuery }>(
      `/v1/queries/${query.name}`,
      { schema: { ...admin, summary: query.description, querystring: querySchema(query.params), response: { 200: rowsAnswer(query), ...QUERY_ERRORS } }, schemaErrorFormatter },
      async (request) => run(query, resolveParams(request.query, ctx.now())),
    );
  }
  // Static routes win over this one: only a name that is no query's ends here.
  app.get<{ Params: { name: string } }>(
    '/v1/queries/:name',
    { schema: { ...admin, summary: 'Any other name: no such query', params: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } }, response: { ...QUERY_ERRORS, ...errorResponses({ 404: 'unknown_query' }) } } },
    async (request) => {
    throw new UnknownQuery(request.params.name);
  });
};
