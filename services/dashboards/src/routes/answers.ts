// The JSON schemas of the query routes' answers, built from each query's declared columns (the
// same declaration the rows are shaped from, queries/types.ts), so the OpenAPI document and the
// serializer list exactly the columns a query answers. Errors: platform's one body.
import { errorResponses } from '@tollgate/platform';
import type { ColumnSpec, NamedQuery } from '../queries/index.ts';

const COLUMN_SCHEMA: Record<ColumnSpec['type'], object> = {
  string: { type: ['string', 'null'] },
  integer: { type: ['integer', 'null'] },
  number: { type: ['number', 'null'] },
  datetime: { type: ['string', 'null'], description: 'ClickHouse DateTime text, UTC (YYYY-MM-DD hh:mm:ss[.fff])' },
  money_minor: { type: ['string', 'null'], pattern: '^-?[0-9]+$', description: 'minor units of the row\'s currency, as a decimal string (exact)' },
};

/** `{ rows: [...] }` for one query. */
export function rowsAnswer(query: NamedQuery): object {
  return {
    description: query.description,
    type: 'object',
    required: ['rows'],
    additionalProperties: false,
    properties: {
      rows: {
        type: 'array',
        items: {
          type: 'object',
          required: query.columns.map((c) => c.name),
          additionalProperties: false,
          properties: Object.fromEntries(query.columns.map((c) => [c.name, COLUMN_SCHEMA[c.type]])),
        },
      },
    },
  };
}

const QUERY_DESCRIPTION = {
  type: 'object',
  required: ['name', 'description', 'params', 'columns'],
  additionalProperties: false,
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    params: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'type', 'required', 'description'],
        additionalProperties: false,
        properties: {
          name: { type: 'string' },
          type: { type: 'string', enum: ['datetime', 'interval', 'string', 'integer'] },
          required: { type: 'boolean' },
          default: { type: ['string', 'integer'] },
          description: { type: 'string' },
          min: { type: 'integer' },
          max: { type: 'integer' },
          values: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    columns: {
      type: 'array',
      items: { type: 'object', required: ['name', 'type'], additionalProperties: false, properties: { name: { type: 'string' }, type: { type: 'string', enum: Object.keys(COLUMN_SCHEMA) } } },
    },
  },
} as const;

export const QUERY_LIST_ANSWER = {
  description: 'the named queries, with their parameters and columns, and GET /v1/usage\'s',
  type: 'object',
  required: ['queries', 'usage'],
  additionalProperties: false,
  properties: { queries: { type: 'array', items: QUERY_DESCRIPTION }, usage: QUERY_DESCRIPTION },
} as const;

/** What a query route may refuse. */
export const QUERY_ERRORS = errorResponses(
  { 400: 'invalid_parameter: the parameter named in `param` is refused' },
  { 401: 'a valid bearer token is required' },
  { 403: 'a consumer token asked for what only admin tokens read' },
  { 504: 'query_timeout: the query ran past DASHBOARD_QUERY_TIMEOUT_MS' },
);
