// The enricher's Prometheus metrics.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface EnricherMetrics {
  batchWritten(rows: number, dead: number, unknownConsumers: number, seconds: number): void;
  writeFailed(): void;
  lag(partition: number, messages: number): void;
  registry(size: number, loadedAtMs: number): void;
}

export function createEnricherMetrics(registry: Registry): EnricherMetrics {
  const rows = new Counter({ name: 'tollgate_enricher_rows_inserted_total', help: 'Usage rows written to ClickHouse (replayed duplicates included; ClickHouse drops those)', registers: [registry] });
  const dead = new Counter({ name: 'tollgate_enricher_dead_letters_total', help: 'Messages sent to the dead-letter topic', registers: [registry] });
  const unknown = new Counter({ name: 'tollgate_enricher_unknown_consumer_events_total', help: 'Events from consumers the registry does not know', registers: [registry] });
  const failures = new Counter({ name: 'tollgate_enricher_write_failures_total', help: 'Batch writes that failed and will be retried', registers: [registry] });
  const latency = new Histogram({ name: 'tollgate_enricher_batch_seconds', help: 'Time to enrich and write one batch', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [registry] });
  const lag = new Gauge({ name: 'tollgate_enricher_consumer_lag', help: 'Messages behind the partition end after the last batch', labelNames: ['partition'], registers: [registry] });
  const registrySize = new Gauge({ name: 'tollgate_enricher_registry_consumers', help: 'Consumers in the in-memory registry', registers: [registry] });
  const registryLoaded = new Gauge({ name: 'tollgate_enricher_registry_loaded_timestamp_seconds', help: 'When the registry was last loaded', registers: [registry] });
  return {
    batchWritten(n, d, u, seconds) {
      rows.inc(n);
      if (d > 0) dead.inc(d);
      if (u > 0) unknown.inc(u);
      latency.observe(seconds);
    },
    writeFailed: () => failures.inc(),
    lag: (partition, messages) => lag.set({ partition: String(partition) }, messages),
    registry(size, loadedAtMs) {
      registrySize.set(size);
      registryLoaded.set(loadedAtMs / 1000);
    },
  };
}
