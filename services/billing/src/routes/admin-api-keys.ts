// /v1/admin/consumers/{id}/api-keys: the API keys that identify a consumer at the gateway. A key is
// given once, in clear, and stored only as its credential HMAC (the tap's, so events that carry the
// key map to the same consumer); answers name a key by its key_id only, never the key or its HMAC.
// A change goes into this process's key map at once (other replicas: at their next refresh).
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { describedOnly, errorResponses, NO_CONTENT, NotFound, requireBearer } from '@tollgate/platform';
import { apiKeyProblem, readApiKeys, readConsumers, revokeApiKey, writeApiKeys, type ApiKeyRecord } from '@tollgate/registry';
import { InvalidApiKey } from '../errors.ts';
import { API_KEY, NEW_API_KEY } from './answers.ts';
import type { QuotaBook } from '../quota-book.ts';

export interface AdminApiKeyRoutesOptions {
  client: ClickHouseClient;
  database: string;
  quota: QuotaBook;
  /** The credential HMAC key (the tap's). */
  hmacKey: string;
  adminTokens: readonly string[];
}

const id = { type: 'string', minLength: 1 } as const;
const byConsumer = { params: { type: 'object', required: ['id'], properties: { id } } } as const;
const byKey = { params: { type: 'object', required: ['id', 'key_id'], properties: { id, key_id: id } } } as const;
const admin = { tags: ['admin: API keys'], security: [{ bearer: [] }] };
const refusals = errorResponses(400, { 401: 'an admin token is required' }, { 404: 'no such consumer or key' });

/** What an answer may show of a key. */
const publicKey = ({ key_id, consumer_id, created_at }: ApiKeyRecord) => ({ key_id, consumer_id, created_at });

export const adminApiKeyRoutes: FastifyPluginAsync<AdminApiKeyRoutesOptions> = async (app, o) => {
  app.addHook('onRequest', requireBearer(o.adminTokens));

  const requireConsumer = async (consumerId: string): Promise<void> => {
    if ((await readConsumers(o.client, o.database, consumerId)).length === 0) throw new NotFound(`no consumer "${consumerId}"`);
  };

  app.post<{ Params: { id: string }; Body: { key?: unknown } }>('/v1/admin/consumers/:id/api-keys', { schema: { ...admin, ...byConsumer, summary: 'Give a consumer an API key', body: { type: 'object' }, response: { 201: { ...API_KEY, description: 'stored (as its HMAC)' }, ...refusals, ...errorResponses({ 400: 'invalid_api_key, or bad_request' }) } }, config: describedOnly({ body: NEW_API_KEY }) }, async (request, reply) => {
    const problem = apiKeyProblem(request.body.key);
    if (problem) throw new InvalidApiKey(`key: ${problem}`);
    await requireConsumer(request.params.id);
    const [record] = await writeApiKeys(o.client, o.database, o.hmacKey, [{ consumer_id: request.params.id, key: request.body.key as string }]);
    if (!record) throw new Error('writeApiKeys stored no key');
    o.quota.addKey(record.key_hmac, record.consumer_id);
    return reply.code(201).send(publicKey(record));
  });

  app.get<{ Params: { id: string } }>('/v1/admin/consumers/:id/api-keys', { schema: { ...admin, ...byConsumer, summary: "A consumer's live API keys", response: { 200: { description: 'the keys, never in clear', type: 'object', required: ['keys'], additionalProperties: false, properties: { keys: { type: 'array', items: API_KEY } } }, ...refusals } } }, async (request) => {
    await requireConsumer(request.params.id);
    return { keys: (await readApiKeys(o.client, o.database, request.params.id)).map(publicKey) };
  });

  app.delete<{ Params: { id: string; key_id: string } }>('/v1/admin/consumers/:id/api-keys/:key_id', { schema: { ...admin, ...byKey, summary: 'Revoke an API key', response: { 204: NO_CONTENT, ...refusals } } }, async (request, reply) => {
    const { id: consumerId, key_id: keyId } = request.params;
    const key = (await readApiKeys(o.client, o.database, consumerId)).find((k) => k.key_id === keyId);
    if (!key || !(await revokeApiKey(o.client, o.database, consumerId, keyId))) throw new NotFound(`consumer "${consumerId}" has no live key ${keyId}`);
    o.quota.removeKey(key.key_hmac);
    return reply.code(204).send();
  });
};
