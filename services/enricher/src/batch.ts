// A fetched batch of Kafka messages → rows for ClickHouse and dead letters. Pure.
import { validateApiRequest } from '@tollgate/schemas';
import { enrichEvent, type EnrichDeps, type Row } from './rows.ts';

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
  usage: Row[];
  latency: Row[];
  dead: DeadLetter[];
  unknownConsumers: number;
}

export function processBatch(partition: number, messages: readonly SourceMessage[], deps: EnrichDeps): ProcessedBatch {
  const out: ProcessedBatch = { usage: [], latency: [], dead: [], unknownConsumers: 0 };
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
