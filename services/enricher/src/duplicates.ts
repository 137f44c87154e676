// Leaves out of a batch every event already stored by another Kafka message, and every repeat of
// an event within the batch, so an event is stored once however many messages carried it. An
// event is its id within its consumer (see stored-events.ts).
//
// Why it holds: the tap keys each message by the event's consumer id (else its request id, else its
// event id), all fields of the event itself, so every copy of an event lands in the same partition,
// and one enricher handles a partition's batches one after another, each written before the next
// is looked at (kafka-loop.ts). So when a batch is checked, every earlier copy is stored already.
//
// A replay of the same Kafka range (a crash between the insert and the offset commit) must filter
// to the same rows, or its deduplication token would name different blocks (writer.ts splits a
// refused batch by row position): a stored copy made from this very message (same partition and
// offset) is the range's own earlier write, not a duplicate, so it is kept, and the token drops it.
// Whatever else the check finds was stored before the range was first written, so the replay finds
// it too. Were own rows left out instead, a crash between the usage and the latency insert would
// lose the latency rows.
import { JsonCompactRows } from '@tollgate/platform';
import type { ProcessedBatch } from './batch.ts';
import type { StoredCopy, StoredEvents } from './stored-events.ts';
import type { RowsToStore } from './writer.ts';

export interface DeduplicatedRows {
  rows: RowsToStore;
  /** Events left out: stored before by another message, or repeated within the batch. */
  duplicates: number;
}

export async function withoutDuplicates(partition: number, batch: ProcessedBatch, stored: StoredEvents): Promise<DeduplicatedRows> {
  const { usageEventIds: eventIds, usageConsumerIds: consumerIds, usageTimes: times } = batch;
  if (eventIds.length === 0) return { rows: batch, duplicates: 0 };
  let fromTs = times[0] as string;
  let toTs = fromTs;
  for (const ts of times) {
    // ClickHouse's time text sorts as the instants it names.
    if (ts < fromTs) fromTs = ts;
    else if (ts > toTs) toTs = ts;
  }
  const copies = await stored.find({ consumerIds: [...new Set(consumerIds)], eventIds: [...new Set(eventIds)], fromTs, toTs });
  const keep = rowsToKeep(partition, batch, copies);
  const duplicates = keep.reduce((n, kept) => (kept ? n : n + 1), 0);
  if (duplicates === 0) return { rows: batch, duplicates };
  const dropped = new Set(batch.usageOffsets.filter((_, i) => !keep[i]));
  const latencyKept = batch.latencyOffsets.map((offset) => !dropped.has(offset));
  return {
    rows: {
      usage: JsonCompactRows.fromLines(batch.usage.lines().filter((_, i) => keep[i])),
      usageOffsets: batch.usageOffsets.filter((_, i) => keep[i]),
      latency: batch.latency.count === 0 ? batch.latency : JsonCompactRows.fromLines(batch.latency.lines().filter((_, i) => latencyKept[i])),
      latencyOffsets: batch.latencyOffsets.filter((_, i) => latencyKept[i]),
    },
    duplicates,
  };
}

/**
 * Per usage row: true unless its event is stored from another message or came earlier in the
 * batch. `copies` may hold rows of other pairs of the batch's consumers and ids: they match nothing.
 */
export function rowsToKeep(partition: number, batch: Pick<ProcessedBatch, 'usageEventIds' | 'usageConsumerIds' | 'usageOffsets'>, copies: readonly StoredCopy[]): boolean[] {
  const storedAt = new Map<string, StoredCopy[]>();
  for (const copy of copies) {
    const key = eventKey(copy.consumerId, copy.eventId);
    storedAt.set(key, [...(storedAt.get(key) ?? []), copy]);
  }
  const seen = new Set<string>();
  return batch.usageEventIds.map((eventId, i) => {
    const key = eventKey(batch.usageConsumerIds[i] as string, eventId);
    if (seen.has(key)) return false;
    seen.add(key);
    const found = storedAt.get(key);
    return found === undefined || found.some((copy) => copy.partition === partition && copy.offset === batch.usageOffsets[i]);
  });
}

/** One string per (consumer, event id) pair, unambiguous whatever characters either holds. */
function eventKey(consumerId: string, eventId: string): string {
  return `${consumerId.length}:${consumerId}${eventId}`;
}
