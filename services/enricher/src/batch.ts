// A fetched batch of Kafka messages → rows for ClickHouse and dead letters. Pure.
import { JsonCompactRows } from '@tollgate/platform';
import { validateApiRequest } from '@tollgate/schemas';
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
  /** Rows of request_latency (LATENCY_COLUMNS). */
  latency: JsonCompactRows;
  dead: DeadLetter[];
  unknownConsumers: number;
}

export function processBatch(partition: number, messages: readonly SourceMessage[], deps: EnrichDeps): ProcessedBatch {
  const out: ProcessedBatch = { usage: new JsonCompactRows(), latency: new JsonCompactRows(), dead: [], unknownConsumers: 0 };
  for (const message of messages) {
    let candidate: unknown;
    try {
      candidate = JSON.parse(message.value?.toString('utf8') ?? '');
    } catch {
      out.dead.push({ ...message, reason: 'not JSON' });
      continue;
    }
    const valid = validateApiRequest(candidate);
    if (!valid.ok) {
      out.dead.push({ ...message, reason: `schema: ${valid.reason}` });
      continue;
    }
    try {
      const enriched = enrichEvent(valid.event, deps, { partition, offset: message.offset });
      out.usage.push(enriched.usage);
      if (enriched.latency) out.latency.push(enriched.latency);
      if (enriched.unknownConsumer) out.unknownConsumers += 1;
    } catch (error) {
      // Enrichment is written not to throw; if it ever does, the event is parked, not the partition.
      out.dead.push({ ...message, reason: `enrichment failed: ${(error as Error).message}` });
    }
  }
  return out;
}
