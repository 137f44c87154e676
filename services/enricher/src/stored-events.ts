// Which of a batch's events api_requests already holds: one bounded query per batch.
//
// The same event can reach Kafka twice as two messages — a tap's file source replaying lines after
// a SIGKILL (ids derived from file identity and offset), a gateway retrying a request whose 202 was
// lost (ids derived from its request id). Insert deduplication cannot see that (it names Kafka
// ranges, not events), so the enricher asks this before each insert and leaves such events out
// (duplicates.ts). Copies of one event carry the same timestamp, so the question is bounded to the
// batch's time range: partition pruning (by month) and each part's ts min/max leave only the parts
// that overlap it, and the bloom filter on event_id (0011) skips granules inside them.
import type { ClickHouseClient } from '@clickhouse/client';

/** Where a stored row came from: the Kafka message the enricher made it of. */
export interface StoredCopy {
  partition: number;
  offset: string;
}

export interface StoredEventsQuery {
  ids: readonly string[];
  /** The batch's earliest and latest event time, ClickHouse text ('2026-11-26 06:20:27.123', UTC). */
  fromTs: string;
  toTs: string;
}

/** The storage side of the duplicate check: a fake in unit tests, ClickHouse in the service. */
export interface StoredEvents {
  /** The stored copies of these events with a timestamp in [fromTs, toTs], by event id. */
  find(query: StoredEventsQuery): Promise<Map<string, StoredCopy[]>>;
}

/** Query text above this is still one query: ClickHouse's default max_query_size (256 KiB) is raised to fit. */
const QUERY_SIZE_SLACK = 4096;

export class ClickHouseStoredEvents implements StoredEvents {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  async find({ ids, fromTs, toTs }: StoredEventsQuery): Promise<Map<string, StoredCopy[]>> {
    const found = new Map<string, StoredCopy[]>();
    if (ids.length === 0) return found;
    // Literals in the query body, not query parameters: a server takes parameters in the URL,
    // which a batch of tens of thousands of ids would overflow.
    const query =
      `SELECT event_id, kafka_partition, toString(kafka_offset) FROM ${this.database}.api_requests ` +
      `WHERE ts BETWEEN ${sqlString(fromTs)} AND ${sqlString(toTs)} AND event_id IN (${ids.map(sqlString).join(',')})`;
    const result = await this.client.query({
      query,
      format: 'JSONCompactEachRow',
      clickhouse_settings: { max_query_size: String(Buffer.byteLength(query) + QUERY_SIZE_SLACK) },
    });
    for (const [eventId, partition, offset] of await result.json<[string, number, string]>()) {
      const copies = found.get(eventId);
      const copy = { partition: Number(partition), offset };
      if (copies) copies.push(copy);
      else found.set(eventId, [copy]);
    }
    return found;
  }
}

/** A ClickHouse string literal: backslash and quote escaped, any other character as it is. */
function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
