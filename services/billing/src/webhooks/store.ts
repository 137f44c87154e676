// The outbox's tables in ClickHouse (schemas/clickhouse/0009_webhooks.sql): endpoints, events and
// delivery state, each a versioned row read with FINAL. No state lives only in memory: a restarted
// service, or another process sharing the database, finds every pending delivery here.
import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseTime } from '@tollgate/platform';
import { nextVersion } from '@tollgate/schemas';
import type { WebhookEventType } from './events.ts';

export interface EndpointRecord {
  endpoint_id: string;
  url: string;
  /** Event types sent to it; empty: all of them. */
  events: string[];
  description: string;
  secret: string;
  created_at: Date;
}

export interface EventRecord {
  event_id: string;
  type: WebhookEventType;
  dedup_key: string;
  created_at: Date;
  body: string;
  endpoint_ids: string[];
}

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'cancelled';

export interface DeliveryRecord {
  event_id: string;
  endpoint_id: string;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date;
  last_status: number;
  last_error: string;
  updated_at: Date;
}

/** A delivery still to be made: its event and where it stands. */
export interface PendingDelivery {
  event_id: string;
  type: WebhookEventType;
  body: string;
  created_at: Date;
  endpoint_id: string;
  attempts: number;
  next_attempt_at: Date;
}

function toRow(record: object): Record<string, unknown> {
  const out: Record<string, unknown> = { version: nextVersion().toString() };
  for (const [key, value] of Object.entries(record)) out[key] = value instanceof Date ? clickHouseTime(value) : value;
  return out;
}

export class OutboxStore {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  private async select<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const result = await this.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  }

  private async insert(table: string, values: object[]): Promise<void> {
    await this.client.insert({ table: `${this.database}.${table}`, values: values.map(toRow), format: 'JSONEachRow' });
  }

  async writeEndpoint(endpoint: EndpointRecord, deleted = false): Promise<void> {
    await this.insert('webhook_endpoints', [{ ...endpoint, deleted }]);
  }

  async endpoints(): Promise<EndpointRecord[]> {
    const rows = await this.select<Omit<EndpointRecord, 'created_at'> & { created_at: string }>(
      `SELECT endpoint_id, url, events, description, secret, created_at
       FROM ${this.database}.webhook_endpoints FINAL WHERE NOT deleted ORDER BY created_at, endpoint_id`,
    );
    return rows.map((r) => ({ ...r, created_at: new Date(r.created_at) }));
  }

  async writeEvents(events: readonly EventRecord[]): Promise<void> {
    if (events.length > 0) await this.insert('webhook_events', [...events]);
  }

  /** Which of `ids` are events already. Asked in chunks: ids travel as query parameters in the URL. */
  async existingEventIds(ids: readonly string[]): Promise<string[]> {
    const found: string[] = [];
    for (let i = 0; i < ids.length; i += 1_000) {
      const rows = await this.select<{ event_id: string }>(`SELECT DISTINCT event_id FROM ${this.database}.webhook_events WHERE event_id IN {ids:Array(String)}`, { ids: ids.slice(i, i + 1_000) });
      found.push(...rows.map((r) => r.event_id));
    }
    return found;
  }

  /** Ids of the events emitted since `since`: what the dedup cache starts from. */
  async eventIdsSince(since: Date): Promise<string[]> {
    const rows = await this.select<{ event_id: string }>(
      `SELECT DISTINCT event_id FROM ${this.database}.webhook_events WHERE created_at >= {since:DateTime64(3, 'UTC')}`,
      { since: clickHouseTime(since) },
    );
    return rows.map((r) => r.event_id);
  }

  async events(): Promise<EventRecord[]> {
    const rows = await this.select<Omit<EventRecord, 'created_at'> & { created_at: string }>(
      `SELECT event_id, type, dedup_key, created_at, body, endpoint_ids FROM ${this.database}.webhook_events FINAL ORDER BY created_at, event_id`,
    );
    return rows.map((r) => ({ ...r, created_at: new Date(r.created_at) }));
  }

  /**
   * Every (event, endpoint) neither delivered nor given up, oldest first. A target with no state
   * row yet has never been tried: it is due since the event was emitted.
   */
  async pending(): Promise<PendingDelivery[]> {
    const rows = await this.select<Omit<PendingDelivery, 'created_at' | 'next_attempt_at'> & { created_at: string; next_attempt_at: string; attempts: number }>(
      `SELECT e.event_id AS event_id, e.type AS type, e.body AS body, e.created_at AS created_at, target AS endpoint_id,
              if(d.event_id = '', 0, d.attempts) AS attempts, if(d.event_id = '', e.created_at, d.next_attempt_at) AS next_attempt_at
       FROM (SELECT * FROM ${this.database}.webhook_events FINAL) AS e
       ARRAY JOIN e.endpoint_ids AS target
       LEFT JOIN (SELECT event_id, endpoint_id, state, attempts, next_attempt_at FROM ${this.database}.webhook_deliveries FINAL) AS d
         ON d.event_id = e.event_id AND d.endpoint_id = target
       WHERE d.event_id = '' OR d.state = 'pending'
       ORDER BY created_at, event_id, endpoint_id`,
    );
    return rows.map((r) => ({ ...r, attempts: Number(r.attempts), created_at: new Date(r.created_at), next_attempt_at: new Date(r.next_attempt_at) }));
  }

  async writeDeliveries(deliveries: readonly DeliveryRecord[]): Promise<void> {
    if (deliveries.length > 0) await this.insert('webhook_deliveries', [...deliveries]);
  }

  async deliveries(): Promise<DeliveryRecord[]> {
    const rows = await this.select<Omit<DeliveryRecord, 'next_attempt_at' | 'updated_at'> & { next_attempt_at: string; updated_at: string }>(
      `SELECT event_id, endpoint_id, state, attempts, next_attempt_at, last_status, last_error, updated_at
       FROM ${this.database}.webhook_deliveries FINAL ORDER BY event_id, endpoint_id`,
    );
    return rows.map((r) => ({ ...r, attempts: Number(r.attempts), last_status: Number(r.last_status), next_attempt_at: new Date(r.next_attempt_at), updated_at: new Date(r.updated_at) }));
  }
}
