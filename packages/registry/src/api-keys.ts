// API keys of consumers (<db>.api_keys): how a gateway call that carries only a key is tied to a
// consumer. A key is stored only as its credential HMAC (@tollgate/platform credentialHmac, the
// tap's), so the table never holds a usable key and an event's credential_hmac finds its owner.
// Rows are versioned like consumers: revoking writes a newer version, read with FINAL.
import type { ClickHouseClient } from '@clickhouse/client';
import { credentialHmac } from '@tollgate/platform';
import { nextVersion } from '@tollgate/schemas';

export interface ApiKeyRecord {
  /** Public handle of a key (to list and revoke it); derived from the HMAC, reveals nothing of the key. */
  key_id: string;
  consumer_id: string;
  key_hmac: string;
  /** ISO 8601. */
  created_at: string;
}

/** A key as handed in (import, admin API): the consumer and the key in clear. */
export interface NewApiKey {
  consumer_id: string;
  key: string;
}

/** Shorter keys are guessable by brute force against the gateway. */
export const MIN_API_KEY_LENGTH = 16;
export const MAX_API_KEY_LENGTH = 512;

/** Why `key` cannot be an API key, or undefined when it can. */
export function apiKeyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return 'an API key must be a string';
  if (key.length < MIN_API_KEY_LENGTH) return `an API key must have at least ${MIN_API_KEY_LENGTH} characters`;
  if (key.length > MAX_API_KEY_LENGTH) return `an API key must have at most ${MAX_API_KEY_LENGTH} characters`;
  // Keys travel in headers and query strings: visible ASCII only, so they survive both unchanged.
  if (!/^[\x21-\x7e]+$/.test(key)) return 'an API key may hold visible ASCII characters only (no spaces)';
  return undefined;
}

export function apiKeyId(keyHmac: string): string {
  return `key_${keyHmac.slice(0, 16)}`;
}

/** Stores the keys (HMAC only). The same key given twice is one row; a key moved to another consumer follows the newest write. */
export async function writeApiKeys(client: ClickHouseClient, database: string, hmacKey: string, keys: readonly NewApiKey[], now = new Date()): Promise<ApiKeyRecord[]> {
  if (keys.length === 0) return [];
  const hmac = credentialHmac(hmacKey);
  const records = keys.map(({ consumer_id, key }): ApiKeyRecord => {
    const key_hmac = hmac(key);
    return { key_id: apiKeyId(key_hmac), consumer_id, key_hmac, created_at: now.toISOString() };
  });
  await client.insert({
    table: `${database}.api_keys`,
    values: records.map((r) => ({ ...r, created_at: now.getTime(), revoked: false, version: nextVersion().toString() })),
    format: 'JSONEachRow',
  });
  return records;
}

/** Live keys, of one consumer or of all. */
export async function readApiKeys(client: ClickHouseClient, database: string, consumerId?: string): Promise<ApiKeyRecord[]> {
  const result = await client.query({
    query: `SELECT key_id, consumer_id, key_hmac, toString(toUnixTimestamp64Milli(created_at)) AS created_ms
            FROM ${database}.api_keys FINAL
            WHERE NOT revoked ${consumerId === undefined ? '' : 'AND consumer_id = {id:String}'}
            ORDER BY consumer_id, created_at, key_id`,
    query_params: { id: consumerId ?? '' },
    format: 'JSONEachRow',
  });
  const rows = await result.json<Omit<ApiKeyRecord, 'created_at'> & { created_ms: string }>();
  return rows.map(({ created_ms, ...key }) => ({ ...key, created_at: new Date(Number(created_ms)).toISOString() }));
}

/** Revokes a key of this consumer; false when it has no live key with that id. */
export async function revokeApiKey(client: ClickHouseClient, database: string, consumerId: string, keyId: string): Promise<boolean> {
  const [key] = (await readApiKeys(client, database, consumerId)).filter((k) => k.key_id === keyId);
  if (!key) return false;
  await client.insert({
    table: `${database}.api_keys`,
    values: [{ ...key, created_at: Date.parse(key.created_at), revoked: true, version: nextVersion().toString() }],
    format: 'JSONEachRow',
  });
  return true;
}

/** key HMAC → consumer id of every live key: what a gateway decision or the enricher looks a credential up in. */
export async function readApiKeyOwners(client: ClickHouseClient, database: string): Promise<Map<string, string>> {
  const result = await client.query({
    query: `SELECT key_hmac, consumer_id FROM ${database}.api_keys FINAL WHERE NOT revoked`,
    format: 'JSONCompact',
  });
  const { data } = await result.json<[string, string]>();
  return new Map(data);
}
