// ClickHouse side of the enricher: one deduplicated insert per table per Kafka batch, as TabSeparated.
import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { LATENCY_COLUMNS, USAGE_COLUMNS, type Row } from './rows.ts';
import { toTabSeparated } from './tab-separated.ts';

/**
 * The token names the batch by topic, partition and offset range. Inserting the same range again
 * (after a crash, or by the partition's next owner) is dropped by the usage table, and by every
 * materialized view's target, because each sets a deduplication window and the insert asks for
 * deduplication in dependent views.
 */
export function batchToken(topic: string, partition: number, first: string, last: string): string {
  return `${topic}/${partition}/${first}-${last}`;
}

export class UsageWriter {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  async write(token: string, usage: Row[], latency: Row[]): Promise<void> {
    const settings: ClickHouseSettings = {
      insert_deduplicate: 1,
      insert_deduplication_token: token,
      deduplicate_blocks_in_dependent_materialized_views: 1,
      // The rollups are summed by every reader and by background merges; collapsing each inserted
      // block on the way in as well cost ~10 % of insert throughput (bench/clickhouse-insert.ts).
      optimize_on_insert: 0,
    };
    if (usage.length > 0) await this.insert('api_requests', USAGE_COLUMNS, usage, settings);
    if (latency.length > 0) await this.insert('request_latency', LATENCY_COLUMNS, latency, settings);
  }

  private async insert(table: string, columns: readonly [string, ...string[]], rows: Row[], settings: ClickHouseSettings): Promise<void> {
    await this.client.insert({
      table: `${this.database}.${table}`,
      columns: [...columns],
      // The client takes raw formats as a byte stream.
      values: Readable.from([toTabSeparated(rows)], { objectMode: false }),
      format: 'TabSeparated',
      clickhouse_settings: settings,
    });
  }
}
