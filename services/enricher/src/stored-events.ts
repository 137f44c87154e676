// Which of a batch's events api_requests already holds: one bounded query per batch.
//
// The same event can reach Kafka twice as two messages — a tap's file source replaying lines after
// a SIGKILL (ids derived from file identity and offset), a gateway retrying a request whose 202 was
// lost (ids derived from its request id). Insert deduplication cannot see that (it names Kafka
// ranges, not events), so the enricher asks this before each insert and leaves such events out
// (duplicates.ts). An event is its id within its consumer, as billing counts it
// (services/billing/src/usage-query.ts): an id another consumer reused neither hides that
// consumer's traffic nor is hidden by it. Copies of one event carry the same timestamp and
// consumer, so the question is bounded by the batch's time range (partition pruning by month,
// each part's ts min/max) and its consumers (the first column of the table's order). A bloom
// filter index on event_id was measured and left out: no faster with these sets (docs/benchmarks.md).
import type { ClickHouseClient } from '@clickhouse/client';

/** A stored row of one of the batch's events, and the Kafka message the enricher made it of. */
export interface StoredCopy {
  consumerId: string;
  eventId: string;
  partition: number;
  offset: string;
}

export interface StoredEventsQuery {
  consumerIds: readonly string[];
  eventIds: readonly string[];
  /** The batch's earliest and latest event time, ClickHouse text ('2026-11-26 06:20:27.123', UTC). */
  fromTs: string;
  toTs: string;
}

/** The storage side of the duplicate check: a fake in unit tests, ClickHouse in the service. */
export interface StoredEvents {
  /**
   * Stored rows with a timestamp in [fromTs, toTs], one of these consumers and one of these ids
   * (every such row: the caller pairs consumers with ids).
   */
  find(query: StoredEventsQuery): Promise<StoredCopy[]>;
}

/** Room beyond the query's own length: ClickHouse's default max_query_size (256 KiB) is raised to fit. */
const QUERY_SIZE_SLACK = 4096;

export class ClickHouseStoredEvents implements StoredEvents {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  async find({ consumerIds, eventIds, fromTs, toTs }: StoredEventsQuery): Promise<StoredCopy[]> {
    if (eventIds.length === 0) return [];
    // The ids travel as one JSON string literal in the query body, not as a list of literals (the
    // parser took ~0.6 s for 20 000 of them, the whole query takes ~0.1 s this way) nor as query
    // parameters (a server takes those in its URL, which tens of thousands of ids overflow).
    const query =
      `SELECT consumer_id, event_id, kafka_partition, toString(kafka_offset) FROM ${this.database}.api_requests ` +
      `WHERE ts BETWEEN ${sqlString(fromTs)} AND ${sqlString(toTs)} ` +
      `AND consumer_id IN ${stringSet(consumerIds)} AND event_id IN ${stringSet(eventIds)}`;
    const result = await this.client.query({
      query,
      format: 'JSONCompactEachRow',
      clickhouse_settings: { max_query_size: String(Buffer.byteLength(query) + QUERY_SIZE_SLACK) },
    });
    return (await result.json<[string, string, number, string]>()).map(([consumerId, eventId, partition, offset]) => ({ consumerId, eventId, partition: Number(partition), offset }));
  }
}

/** A set of strings for IN, exact whatever characters they hold. */
function stringSet(values: readonly string[]): string {
  return `(SELECT arrayJoin(JSONExtract(${sqlString(JSON.stringify(values))}, 'Array(String)')))`;
}

/** A ClickHouse string literal: backslash and quote escaped, any other character as it is. */
function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
