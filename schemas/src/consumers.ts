// The consumer registry table (<db>.consumers): who an end user is, their organisation, plan and
// Stripe customer. Billing writes it, the enricher reads it. Rows are versioned: the newest
// version of a consumer wins (ReplacingMergeTree, read with FINAL).
import type { ClickHouseClient } from '@clickhouse/client';
import { nextVersion } from './version.ts';

export interface ConsumerRecord {
  consumer_id: string;
  org_id: string;
  name: string;
  email: string;
  plan_id: string;
  stripe_customer_id: string;
  tags: string[];
  metadata: Record<string, string>;
}


export async function writeConsumers(client: ClickHouseClient, database: string, consumers: readonly ConsumerRecord[]): Promise<void> {
  if (consumers.length === 0) return;
  await client.insert({
    table: `${database}.consumers`,
    values: consumers.map((c) => ({ ...c, deleted: false, version: nextVersion().toString() })),
    format: 'JSONEachRow',
  });
}

export async function deleteConsumer(client: ClickHouseClient, database: string, consumerId: string): Promise<void> {
  await client.insert({
    table: `${database}.consumers`,
    values: [{ consumer_id: consumerId, deleted: true, version: nextVersion().toString() }],
    format: 'JSONEachRow',
  });
}

/** Every live consumer, or just the one asked for. */
export async function readConsumers(client: ClickHouseClient, database: string, consumerId?: string): Promise<ConsumerRecord[]> {
  const result = await client.query({
    query: `SELECT consumer_id, org_id, name, email, plan_id, stripe_customer_id, tags, metadata
            FROM ${database}.consumers FINAL
            WHERE NOT deleted ${consumerId === undefined ? '' : 'AND consumer_id = {id:String}'}`,
    query_params: { id: consumerId ?? '' },
    format: 'JSONEachRow',
  });
  return result.json<ConsumerRecord>();
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
