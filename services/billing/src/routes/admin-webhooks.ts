// /v1/admin/webhooks: the endpoints billing's events are delivered to (webhooks/). The signing
// secret is in the creation answer only. Bodies are validated by schema: http(s) URLs, known
// event types (none listed: every type).
import type { FastifyPluginAsync } from 'fastify';
import { errorResponses, inputErrorFormatter, NO_CONTENT, NotFound, requireBearer } from '@tollgate/platform';
import type { WebhookEndpoints } from '../webhooks/endpoints.ts';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../webhooks/events.ts';
import { NEW_WEBHOOK_ENDPOINT, WEBHOOK_ENDPOINT } from './answers.ts';
import { BILLING_FORMATS } from './formats.ts';

export interface AdminWebhookRoutesOptions {
  endpoints: WebhookEndpoints;
  adminTokens: readonly string[];
}

interface CreateBody {
  url: string;
  events?: WebhookEventType[];
  description?: string;
}

const admin = { tags: ['admin: webhooks'], security: [{ bearer: [] }] };
const refusals = errorResponses(400, { 401: 'an admin token is required' });

const createSchema = {
  ...admin,
  summary: 'Add a webhook endpoint',
  response: { 201: NEW_WEBHOOK_ENDPOINT, ...refusals },
  body: {
    type: 'object',
    required: ['url'],
    additionalProperties: false,
    properties: {
      url: { type: 'string', format: 'webhook_url', maxLength: 2048 },
      events: { type: 'array', items: { type: 'string', enum: WEBHOOK_EVENT_TYPES }, uniqueItems: true },
      description: { type: 'string', maxLength: 500 },
    },
  },
} as const;
const byId = { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } } as const;
const LIST = { description: 'the endpoints, without their secrets', type: 'object', required: ['webhooks'], additionalProperties: false, properties: { webhooks: { type: 'array', items: WEBHOOK_ENDPOINT } } } as const;

export const adminWebhookRoutes: FastifyPluginAsync<AdminWebhookRoutesOptions> = async (app, o) => {
  app.addHook('onRequest', requireBearer(o.adminTokens));

  app.post<{ Body: CreateBody }>('/v1/admin/webhooks', { schema: createSchema, schemaErrorFormatter: inputErrorFormatter(BILLING_FORMATS) }, async (request, reply) =>
    reply.code(201).send(await o.endpoints.create(request.body)),
  );

  app.get('/v1/admin/webhooks', { schema: { ...admin, summary: 'The webhook endpoints', response: { 200: LIST, ...refusals } } }, async () => ({ webhooks: await o.endpoints.list() }));

  app.delete<{ Params: { id: string } }>('/v1/admin/webhooks/:id', { schema: { ...admin, ...byId, summary: 'Delete a webhook endpoint', response: { 204: NO_CONTENT, ...refusals, ...errorResponses({ 404: 'no such endpoint' }) } } }, async (request, reply) => {
    if (!(await o.endpoints.delete(request.params.id))) throw new NotFound(`no webhook endpoint "${request.params.id}"`);
    return reply.code(204).send();
  });
};
