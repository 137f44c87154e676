// ClickHouse side of the enricher: one deduplicated insert per table per Kafka batch.
//
// A batch ClickHouse refuses for what its rows hold (a value it cannot parse) would be refused on
// every retry and stop its partition for good. Such a batch is split in halves until the refused
// rows are alone; they are returned to be dead-lettered, everything else is stored. Each part is
// inserted under a token derived from the batch's, so a replay after a crash stores nothing twice.
// Any other refusal (an outage) is thrown: the caller pauses and retries the whole batch.
import type { ClickHouseClient } from '@clickhouse/client';
import { insertRows, isRowContentError, JsonCompactRows } from '@tollgate/platform';
import type { ProcessedBatch } from './batch.ts';
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

/** A row ClickHouse refused for its content, traced to the Kafka offset of its event. */
export interface Quarantined {
  offset: string;
  reason: string;
}

export type RowsToStore = Pick<ProcessedBatch, 'usage' | 'usageOffsets' | 'latency' | 'latencyOffsets'>;

/** Where enriched batches go: the enricher's loop knows nothing else of storage. */
export interface UsageStore {
  /** Stores the batch exactly once under `token`; resolves with the rows refused for their content. */
  write(token: string, rows: RowsToStore): Promise<Quarantined[]>;
}

export class UsageWriter implements UsageStore {
  /** The write before this one: inserts run one at a time (two at once are slower than one). */
  private previous: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  /** Queued behind the write in flight, so one partition's batch is enriched while another's is inserted. */
  write(token: string, rows: RowsToStore): Promise<Quarantined[]> {
    const done = this.previous.catch(() => undefined).then(() => this.insert(token, rows));
    this.previous = done;
    return done;
  }

  private async insert(token: string, rows: RowsToStore): Promise<Quarantined[]> {
    const refused = await this.insertTable(`${this.database}.api_requests`, USAGE_COLUMNS, token, rows.usage, rows.usageOffsets);
    if (rows.latency.count === 0) return refused;
    // An event whose usage row was refused goes to the dead letters whole: its latency row stays out too.
    let latency = rows.latency;
    let latencyOffsets = rows.latencyOffsets;
    if (refused.length > 0) {
      const out = new Set(refused.map((r) => r.offset));
      const keep = latencyOffsets.map((offset) => !out.has(offset));
      latency = JsonCompactRows.fromLines(latency.lines().filter((_, i) => keep[i]));
      latencyOffsets = latencyOffsets.filter((_, i) => keep[i]);
    }
    return [...refused, ...(await this.insertTable(`${this.database}.request_latency`, LATENCY_COLUMNS, token, latency, latencyOffsets))];
  }

  private async insertTable(table: string, columns: readonly [string, ...string[]], token: string, rows: JsonCompactRows, offsets: readonly string[]): Promise<Quarantined[]> {
    if (rows.count === 0) return [];
    try {
      await insertRows(this.client, { table, columns, rows, settings: insertSettings(token) });
      return [];
    } catch (error) {
      if (!isRowContentError(error)) throw error;
      return this.bisect(table, columns, token, rows.lines(), offsets, 0, error);
    }
  }

  /** Lines [from, from + lines.length) of a refused insert: halves stored, refused rows returned. */
  private async bisect(table: string, columns: readonly [string, ...string[]], token: string, lines: Buffer[], offsets: readonly string[], from: number, error: unknown): Promise<Quarantined[]> {
    if (lines.length === 1) return [{ offset: offsets[from] as string, reason: `clickhouse refused the row (${table}): ${firstLine(error)}` }];
    const half = Math.ceil(lines.length / 2);
    const parts: Array<[Buffer[], number]> = [[lines.slice(0, half), from], [lines.slice(half), from + half]];
    const refused: Quarantined[] = [];
    for (const [part, start] of parts) {
      try {
        // Row positions name the part: the same batch splits the same way on a replay.
        await insertRows(this.client, { table, columns, rows: JsonCompactRows.fromLines(part), settings: insertSettings(`${token}#${start}-${start + part.length - 1}`) });
      } catch (partError) {
        if (!isRowContentError(partError)) throw partError;
        refused.push(...(await this.bisect(table, columns, token, part, offsets, start, partError)));
      }
    }
    return refused;
  }
}

function insertSettings(token: string): Record<string, string | number> {
  return {
    insert_deduplicate: 1,
    insert_deduplication_token: token,
    deduplicate_blocks_in_dependent_materialized_views: 1,
    // The rollups are summed by every reader and by background merges; collapsing each inserted
    // block on the way in as well cost ~10 % of insert throughput (bench/clickhouse-insert.ts).
    optimize_on_insert: 0,
  };
}

function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0]!.slice(0, 500);
}
