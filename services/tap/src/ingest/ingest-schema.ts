// The description of POST /v1/ingest/{format}: its answers (which the schema also serializes) and
// the bodies each format takes. The route keeps its own text parser and answers (app.ts): one
// bad record is refused by index, not by a schema, so the body is described for OpenAPI only
// (through @fastify/swagger's per-route transform) and never validated by fastify.
import { describedOnly, errorResponses } from '@tollgate/platform';
import { formats } from './formats/index.ts';

const formatList = Object.values(formats)
  .map((f) => `${f.name} (${f.contentTypes.join(', ')})`)
  .join('; ');

const mediaTypes = [...new Set(Object.values(formats).flatMap((f) => f.contentTypes))].sort();

/** The request body by media type, for the OpenAPI document only. */
const describedBody = {
  description: 'Gateway log records in the format the path names: one JSON document, NDJSON lines or log text. The tap parses the body itself, so one bad record is refused by its index while the others go on.',
  content: Object.fromEntries(mediaTypes.map((type) => [type, { schema: type.includes('json') && type !== 'application/x-ndjson' ? {} : { type: 'string' } }])),
};

const INGEST_ANSWER = {
  description: 'accepted: the valid records are on their way to Kafka; invalid ones are listed by index',
  type: 'object',
  required: ['accepted', 'rejected', 'errors'],
  additionalProperties: false,
  properties: {
    accepted: { type: 'integer', minimum: 0 },
    rejected: { type: 'integer', minimum: 0 },
    errors: {
      type: 'array',
      description: 'the first 1000 rejected records (the counts stay exact)',
      items: { type: 'object', required: ['index', 'reason'], additionalProperties: false, properties: { index: { type: 'integer', minimum: 0 }, reason: { type: 'string' } } },
    },
  },
} as const;

export const ingestRouteOptions = {
  schema: {
    tags: ['ingest'],
    summary: 'Ingest gateway access-log records',
    description: `Formats: ${formatList}.`,
    security: [{ bearer: [] }],
    params: {
      type: 'object',
      required: ['format'],
      // No enum: an unknown format answers 404 unknown_format from the route, not a 400.
      properties: { format: { type: 'string', description: `one of ${Object.keys(formats).join(', ')}` } },
    },
    response: {
      202: INGEST_ANSWER,
      ...errorResponses(
        { 400: 'empty_body, or malformed_body: the body as a whole cannot be read' },
        { 401: 'unauthorized: a valid tap token is required' },
        { 404: 'unknown_format' },
        { 413: 'too_many_records (TAP_MAX_RECORDS), or payload_too_large (TAP_BODY_LIMIT_BYTES)' },
        { 415: 'unsupported_media_type: the format takes other Content-Types' },
        { 503: 'busy (too much data in flight) or unavailable (Kafka unreachable and the spool full, or shutting down); Retry-After says when to retry' },
      ),
    },
  },
  config: describedOnly({ body: describedBody }),
};
