import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialHmac } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../test/harness/clickhouse.ts';
import { apiKeyId, readApiKeyOwners, readApiKeys, revokeApiKey, writeApiKeys } from '../src/api-keys.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await testClickHouse('api_keys');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
});
afterAll(() => ch.client.close());

const hmacKey = 'test-hmac-key-0123456789';

describe('the api_keys table', () => {
  it('stores only the HMAC the tap computes for the same key, and maps it to the consumer', async () => {
    const now = new Date();
    const [written] = await writeApiKeys(ch.client, ch.database, hmacKey, [{ consumer_id: 'alice', key: 'alice-key-0000000001' }], now);
    const hmac = credentialHmac(hmacKey)('alice-key-0000000001');
    expect(written).toEqual({ key_id: apiKeyId(hmac), consumer_id: 'alice', key_hmac: hmac, created_at: now.toISOString() });
    expect(await readApiKeys(ch.client, ch.database, 'alice')).toEqual([written]);
    const stored = await ch.client.query({ query: `SELECT * FROM ${ch.database}.api_keys`, format: 'JSONEachRow' }).then((r) => r.text());
    expect(stored).not.toContain('alice-key-0000000001');
    expect((await readApiKeyOwners(ch.client, ch.database)).get(hmac)).toBe('alice');
  });

  it('revokes a key by id for its consumer only; a revoked key no longer maps to anyone', async () => {
    const [key] = await writeApiKeys(ch.client, ch.database, hmacKey, [{ consumer_id: 'bob', key: 'bob-key-000000000001' }]);
    expect(await revokeApiKey(ch.client, ch.database, 'alice', key!.key_id)).toBe(false);
    expect(await revokeApiKey(ch.client, ch.database, 'bob', key!.key_id)).toBe(true);
    expect(await readApiKeys(ch.client, ch.database, 'bob')).toEqual([]);
    expect((await readApiKeyOwners(ch.client, ch.database)).has(key!.key_hmac)).toBe(false);
    expect(await revokeApiKey(ch.client, ch.database, 'bob', key!.key_id)).toBe(false);
  });
});
