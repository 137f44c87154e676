// The consumer registry held in memory: loaded at start, refreshed on an interval and on demand.
// The owners of the live API keys are loaded on the same refresh, so that a call identified only
// by its key (an event's credential_hmac) is attributed to the consumer the registry holds then.
import type { ClickHouseClient } from '@clickhouse/client';
import { every } from '@tollgate/platform';
import { readApiKeyOwners } from './api-keys.ts';
import { readConsumers, type ConsumerRecord } from './consumer-table.ts';
import type { Logger } from 'pino';

export class RegistryCache {
  private consumers = new Map<string, ConsumerRecord>();
  /** key HMAC → consumer id of every live key. */
  private keyOwners = new Map<string, string>();
  loadedAt = 0;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly log: Logger,
    private readonly onLoad: (size: number, loadedAt: number) => void = () => undefined,
  ) {}

  get size(): number {
    return this.consumers.size;
  }

  /** Live API keys held. */
  get keys(): number {
    return this.keyOwners.size;
  }

  get(consumerId: string): ConsumerRecord | undefined {
    return this.consumers.get(consumerId);
  }

  /** The consumer a live API key belongs to, by the key's credential HMAC. */
  keyOwner(credentialHmac: string): string | undefined {
    return this.keyOwners.get(credentialHmac);
  }

  async refresh(): Promise<number> {
    const [rows, keyOwners] = await Promise.all([readConsumers(this.client, this.database), readApiKeyOwners(this.client, this.database)]);
    this.consumers = new Map(rows.map((c) => [c.consumer_id, c]));
    this.keyOwners = keyOwners;
    this.loadedAt = Date.now();
    this.onLoad(this.consumers.size, this.loadedAt);
    return this.consumers.size;
  }

  startRefreshing(intervalMs: number): void {
    this.stop = every(intervalMs, () => this.refresh(), (error) => this.log.warn({ err: error }, 'registry refresh failed; keeping the previous copy'));
  }

  stop: () => void = () => undefined;
}
