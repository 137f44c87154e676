// ClickHouse side of the enricher: one deduplicated insert per table per Kafka batch.
import type { ClickHouseClient } from '@clickhouse/client';
import { insertRows, type JsonCompactRows } from '@tollgate/platform';
import { LATENCY_COLUMNS, USAGE_COLUMNS } from './rows.ts';

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
  /** The write before this one: inserts run one at a time (two at once are slower than one). */
  private previous: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  /** Queued behind the write in flight, so one partition's batch is enriched while another's is inserted. */
  write(token: string, usage: JsonCompactRows, latency: JsonCompactRows): Promise<void> {
    const done = this.previous.catch(() => undefined).then(() => this.insert(token, usage, latency));
    this.previous = done;
    return done;
  }

  private async insert(token: string, usage: JsonCompactRows, latency: JsonCompactRows): Promise<void> {
    const settings = {
      insert_deduplicate: 1,
      insert_deduplication_token: token,
      deduplicate_blocks_in_dependent_materialized_views: 1,
      // The rollups are summed by every reader and by background merges; collapsing each inserted
      // block on the way in as well cost ~10 % of insert throughput (bench/clickhouse-insert.ts).
      optimize_on_insert: 0,
    };
    if (usage.count > 0) await insertRows(this.client, { table: `${this.database}.api_requests`, columns: USAGE_COLUMNS, rows: usage, settings });
    if (latency.count > 0) await insertRows(this.client, { table: `${this.database}.request_latency`, columns: LATENCY_COLUMNS, rows: latency, settings });
  }
}
