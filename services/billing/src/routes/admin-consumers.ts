// /v1/admin/consumers: the consumer registry (plan, org, Stripe customer, status, blocked APIs) for
// admins. A change goes into this process's quota book at once, so a new plan's quota, a suspension
// or a block holds from the next decision here (other replicas: at their next refresh).
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { describedOnly, errorResponses, NO_CONTENT, NotFound, requireBearer } from '@tollgate/platform';
import type { PlanCatalog } from '@tollgate/pricing';
import { deleteConsumer, parseConsumerUpdate, readConsumers, upsertConsumer } from '@tollgate/registry';
import type { ConsumerHooks } from '../consumer-hooks.ts';
import { InvalidConsumer } from '../errors.ts';
import { CONSUMER, CONSUMER_UPDATE } from './answers.ts';
import type { QuotaBook } from '../quota-book.ts';

export interface AdminConsumerRoutesOptions {
  client: ClickHouseClient;
  database: string;
  plans: PlanCatalog;
  quota: QuotaBook;
  adminTokens: readonly string[];
  hooks: ConsumerHooks;
}

const byId = { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } } } as const;
const admin = { tags: ['admin: consumers'], security: [{ bearer: [] }] };
const refusals = errorResponses(400, { 401: 'an admin token is required' });

export const adminConsumerRoutes: FastifyPluginAsync<AdminConsumerRoutesOptions> = async (app, o) => {
  app.addHook('onRequest', requireBearer(o.adminTokens));

  app.get(
    '/v1/admin/consumers',
    { schema: { ...admin, summary: 'Every consumer', response: { 200: { description: 'the consumers', type: 'object', required: ['consumers'], additionalProperties: false, properties: { consumers: { type: 'array', items: CONSUMER } } }, ...refusals } } },
    async () => ({ consumers: await readConsumers(o.client, o.database) }),
  );

  app.get<{ Params: { id: string } }>('/v1/admin/consumers/:id', { schema: { ...admin, ...byId, summary: 'One consumer', response: { 200: { ...CONSUMER, description: 'the consumer' }, ...refusals, ...errorResponses({ 404: 'no such consumer' }) } } }, async (request) => {
    const [found] = await readConsumers(o.client, o.database, request.params.id);
    if (!found) throw new NotFound(`no consumer "${request.params.id}"`);
    return found;
  });

  // The body's fields and the plan's existence are the registry's rule (parseConsumerUpdate),
  // shared with every writer of the registry; the schema only says a JSON object is expected.
  app.put<{ Params: { id: string } }>(
    '/v1/admin/consumers/:id',
    {
      schema: {
        ...admin,
        ...byId,
        summary: 'Create or change a consumer',
        body: { type: 'object' },
        response: { 200: { ...CONSUMER, description: 'changed' }, 201: { ...CONSUMER, description: 'created' }, ...refusals, ...errorResponses({ 400: 'invalid_consumer: a field is refused (the message says which), or bad_request' }) },
      },
      config: describedOnly({ body: CONSUMER_UPDATE }),
    },
    async (request, reply) => {
    const parsed = parseConsumerUpdate(request.body, o.plans.plans);
    if ('problem' in parsed) throw new InvalidConsumer(parsed.problem);
    // Read first only when it matters: a suspension is announced once, on the change.
    const wasSuspended = parsed.update.status === 'suspended' ? (await readConsumers(o.client, o.database, request.params.id))[0]?.status === 'suspended' : true;
    const { record, created } = await upsertConsumer(o.client, o.database, request.params.id, parsed.update);
    o.quota.setConsumer(record);
    if (!wasSuspended) await o.hooks.consumerSuspended(record, Date.now());
    return reply.code(created ? 201 : 200).send(record);
    },
  );

  app.delete<{ Params: { id: string } }>('/v1/admin/consumers/:id', { schema: { ...admin, ...byId, summary: 'Delete a consumer', response: { 204: NO_CONTENT, ...refusals } } }, async (request, reply) => {
    await deleteConsumer(o.client, o.database, request.params.id);
    o.quota.removeConsumer(request.params.id);
    return reply.code(204).send();
  });
};
