// The consumer registry table (<db>.consumers): who an end user is, their organisation, plan and
// Stripe customer. Billing and `npm run consumers` write it, the enricher and billing read it.
// Rows are versioned: the newest version of a consumer wins (ReplacingMergeTree, read with FINAL),
// so every change is an insert and a delete is a tombstone row. The table and its migration live
// in schemas/clickhouse; this is the only code that reads or writes it.
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { nextVersion } from '@tollgate/schemas';

export interface ConsumerRecord {
  consumer_id: string;
  org_id: string;
  name: string;
  email: string;
  plan_id: string;
  stripe_customer_id: string;
  tags: string[];
  metadata: Record<string, string>;
  /** A suspended consumer is refused every call at the gateway. */
  status: ConsumerStatus;
  /** API products refused to this consumer whatever its plan entitles. */
  blocked_apis: string[];
}

export const CONSUMER_STATUSES = ['active', 'suspended'] as const;
export type ConsumerStatus = (typeof CONSUMER_STATUSES)[number];

/** Every field but the id, any of them: what an admin request may change. */
export type ConsumerUpdate = Partial<Omit<ConsumerRecord, 'consumer_id'>>;

/** Every live consumer, or just the one asked for. */
export async function readConsumers(client: ClickHouseClient, database: string, consumerId?: string): Promise<ConsumerRecord[]> {
  const result = await client.query({
    query: `SELECT consumer_id, org_id, name, email, plan_id, stripe_customer_id, tags, metadata, status, blocked_apis
            FROM ${database}.consumers FINAL
            WHERE NOT deleted ${consumerId === undefined ? '' : 'AND consumer_id = {id:String}'}`,
    query_params: { id: consumerId ?? '' },
    format: 'JSONEachRow',
  });
  return result.json<ConsumerRecord>();
}

/**
 * Whole records, each replacing the consumer's previous version, in one insert. `onRow` is told
 * each row as the insert takes it (`written` of `total`), for an import's progress: the rows
 * then go as a stream, still one insert.
 */
export async function writeConsumers(
  client: ClickHouseClient,
  database: string,
  consumers: readonly ConsumerRecord[],
  onRow?: (written: number, total: number) => void,
): Promise<void> {
  if (consumers.length === 0) return;
  const rows = consumers.map((c) => ({ ...c, deleted: false, version: nextVersion().toString() }));
  await client.insert({
    table: `${database}.consumers`,
    values: onRow === undefined ? rows : Readable.from(counted(rows, onRow)),
    format: 'JSONEachRow',
  });
}

function* counted<T>(rows: readonly T[], onRow: (written: number, total: number) => void): Generator<T> {
  for (let i = 0; i < rows.length; i++) {
    yield rows[i] as T;
    onRow(i + 1, rows.length);
  }
}

export async function deleteConsumer(client: ClickHouseClient, database: string, consumerId: string): Promise<void> {
  await client.insert({
    table: `${database}.consumers`,
    values: [{ consumer_id: consumerId, deleted: true, version: nextVersion().toString() }],
    format: 'JSONEachRow',
  });
}

/**
 * Merges an update into the stored consumer, or into an empty one when there is none yet, and
 * writes the result. `created` says there was no live consumer with that id before.
 */
export async function upsertConsumer(
  client: ClickHouseClient,
  database: string,
  consumerId: string,
  update: ConsumerUpdate,
): Promise<{ record: ConsumerRecord; created: boolean }> {
  const [existing] = await readConsumers(client, database, consumerId);
  const record: ConsumerRecord = {
    ...emptyConsumer(consumerId),
    ...existing,
    ...update,
  };
  await writeConsumers(client, database, [record]);
  return { record, created: existing === undefined };
}

/**
 * Records the Stripe customer billing created for a consumer. The rest of the record is written
 * back as the caller read it, so the next run finds the customer instead of creating another.
 */
export async function setStripeCustomerId(client: ClickHouseClient, database: string, consumer: ConsumerRecord, stripeCustomerId: string): Promise<void> {
  await writeConsumers(client, database, [{ ...consumer, stripe_customer_id: stripeCustomerId }]);
}

/** consumer id → plan_id of every live consumer (or of those asked for): the plan in force now. */
export async function readConsumerPlans(client: ClickHouseClient, database: string, consumerIds?: readonly string[]): Promise<Map<string, string>> {
  const result = await client.query({
    query: `SELECT consumer_id, plan_id FROM ${database}.consumers FINAL
            WHERE NOT deleted ${consumerIds === undefined ? '' : 'AND consumer_id IN {ids:Array(String)}'}`,
    query_params: { ids: consumerIds ?? [] },
    format: 'JSONCompact',
  });
  const { data } = await result.json<[string, string]>();
  return new Map(data);
}

/** A consumer with nothing known but its id: what an import or an update fills in. */
export function emptyConsumer(consumerId = ''): ConsumerRecord {
  return { consumer_id: consumerId, org_id: '', name: '', email: '', plan_id: '', stripe_customer_id: '', tags: [], metadata: {}, status: 'active', blocked_apis: [] };
}
