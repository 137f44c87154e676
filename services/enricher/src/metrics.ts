// The enricher's Prometheus metrics.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface EnricherMetrics {
  batchWritten(rows: number, dead: number, unknownConsumers: number, repaired: number, seconds: number): void;
  /** Rows ClickHouse refused for their content, sent to the dead-letter topic. */
  quarantined(rows: number): void;
  /** Events left out of a batch as already stored (by another message) or repeated within it. */
  duplicates(events: number): void;
  writeFailed(): void;
  lag(partition: number, messages: number): void;
  registry: (size: number, loadedAtMs: number) => void;
}

export function createEnricherMetrics(registry: Registry): EnricherMetrics {
  const rows = new Counter({ name: 'tollgate_enricher_rows_inserted_total', help: 'Usage rows written to ClickHouse (replayed duplicates included; ClickHouse drops those)', registers: [registry] });
  const dead = new Counter({ name: 'tollgate_enricher_dead_letters_total', help: 'Messages sent to the dead-letter topic', registers: [registry] });
  const unknown = new Counter({ name: 'tollgate_enricher_unknown_consumer_events_total', help: 'Events from consumers the registry does not know', registers: [registry] });
  const quarantined = new Counter({ name: 'tollgate_enricher_quarantined_rows_total', help: 'Rows ClickHouse refused for their content, dead-lettered so their partition keeps moving', registers: [registry] });
  const duplicates = new Counter({ name: 'tollgate_enricher_duplicate_events_total', help: 'Events not stored because their event id was already stored from another message or repeated within the batch', registers: [registry] });
  const repaired = new Counter({ name: 'tollgate_enricher_text_repaired_total', help: 'Events whose text held lone surrogates, replaced by U+FFFD before storing', registers: [registry] });
  const failures = new Counter({ name: 'tollgate_enricher_write_failures_total', help: 'Batch writes that failed and will be retried', registers: [registry] });
  const latency = new Histogram({ name: 'tollgate_enricher_batch_seconds', help: 'Time to enrich and write one batch', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  const lag = new Gauge({ name: 'tollgate_enricher_consumer_lag', help: 'Messages behind the partition end after the last batch', labelNames: ['partition'], registers: [registry] });
  const registrySize = new Gauge({ name: 'tollgate_enricher_registry_consumers', help: 'Consumers in the in-memory registry', registers: [registry] });
  const registryLoaded = new Gauge({ name: 'tollgate_enricher_registry_loaded_timestamp_seconds', help: 'When the registry was last loaded', registers: [registry] });
  return {
    batchWritten(n, d, u, r, seconds) {
      rows.inc(n);
      if (r > 0) repaired.inc(r);
      if (d > 0) dead.inc(d);
      if (u > 0) unknown.inc(u);
      latency.observe(seconds);
    },
    quarantined: (n) => quarantined.inc(n),
    duplicates: (n) => duplicates.inc(n),
    writeFailed: () => failures.inc(),
    lag: (partition, messages) => lag.set({ partition: String(partition) }, messages),
    registry(size, loadedAtMs) {
      registrySize.set(size);
      registryLoaded.set(loadedAtMs / 1000);
    },
  };
}
