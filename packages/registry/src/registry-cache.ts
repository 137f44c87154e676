// The consumer registry held in memory: loaded at start, refreshed on an interval and on demand.
import type { ClickHouseClient } from '@clickhouse/client';
import { every } from '@tollgate/platform';
import { readConsumers, type ConsumerRecord } from './consumer-table.ts';
import type { Logger } from 'pino';

export class RegistryCache {
  private consumers = new Map<string, ConsumerRecord>();
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

  get(consumerId: string): ConsumerRecord | undefined {
    return this.consumers.get(consumerId);
  }

  async refresh(): Promise<number> {
    const rows = await readConsumers(this.client, this.database);
    this.consumers = new Map(rows.map((c) => [c.consumer_id, c]));
    this.loadedAt = Date.now();
    this.onLoad(this.consumers.size, this.loadedAt);
    return this.consumers.size;
  }

  startRefreshing(intervalMs: number): void {
    this.stop = every(intervalMs, () => this.refresh(), (error) => this.log.warn({ err: error }, 'registry refresh failed; keeping the previous copy'));
  }

  stop: () => void = () => undefined;
}
