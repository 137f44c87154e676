// A fetched batch of Kafka messages → rows for ClickHouse and dead letters. Pure.
import { JsonCompactRows } from '@tollgate/platform';
import { repairText, validateApiRequest } from '@tollgate/schemas';
import { enrichEvent, type EnrichDeps } from './rows.ts';

export interface SourceMessage {
  offset: string;
  value: Buffer | null;
}

export interface DeadLetter {
  offset: string;
  value: Buffer | null;
  reason: string;
}

export interface ProcessedBatch {
  /** Rows of api_requests, encoded as each event is enriched (USAGE_COLUMNS). */
  usage: JsonCompactRows;
  /** The Kafka offset each usage row came from, in row order: a row ClickHouse refuses is traced to its message. */
  usageOffsets: string[];
  /** Each usage row's event id, consumer id as stored and event time (ClickHouse text), in row order: for the duplicate check. */
  usageEventIds: string[];
  usageConsumerIds: string[];
  usageTimes: string[];
  /** Rows of request_latency (LATENCY_COLUMNS). */
  latency: JsonCompactRows;
  latencyOffsets: string[];
  dead: DeadLetter[];
  unknownConsumers: number;
  /** Events whose text held lone surrogates (replaced by U+FFFD so ClickHouse can store them). */
  repaired: number;
}

export function processBatch(partition: number, messages: readonly SourceMessage[], deps: EnrichDeps): ProcessedBatch {
  const out: ProcessedBatch = { usage: new JsonCompactRows(), usageOffsets: [], usageEventIds: [], usageConsumerIds: [], usageTimes: [], latency: new JsonCompactRows(), latencyOffsets: [], dead: [], unknownConsumers: 0, repaired: 0 };
  for (const message of messages) {
    let candidate: unknown;
    const text = message.value?.toString('utf8') ?? '';
    try {
      candidate = JSON.parse(text);
    } catch {
      out.dead.push({ ...message, reason: 'not JSON' });
      continue;
    }
    // Decoded UTF-8 is always well-formed; only a \u escape can carry a lone surrogate.
    if (text.includes('\\u') && repairText(candidate) > 0) out.repaired += 1;
    const valid = validateApiRequest(candidate);
    if (!valid.ok) {
      out.dead.push({ ...message, reason: `schema: ${valid.reason}` });
      continue;
    }
    try {
      const enriched = enrichEvent(valid.event, deps, { partition, offset: message.offset });
      out.usage.push(enriched.usage);
      out.usageOffsets.push(message.offset);
      out.usageEventIds.push(valid.event.event_id);
      out.usageConsumerIds.push(enriched.consumerId);
      out.usageTimes.push(enriched.ts);
      if (enriched.latency) {
        out.latency.push(enriched.latency);
        out.latencyOffsets.push(message.offset);
      }
      if (enriched.unknownConsumer) out.unknownConsumers += 1;
    } catch (error) {
      // Enrichment is written not to throw; if it ever does, the event is parked, not the partition.
      out.dead.push({ ...message, reason: `enrichment failed: ${(error as Error).message}` });
    }
  }
  return out;
}
