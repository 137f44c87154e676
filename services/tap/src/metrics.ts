// The tap's Prometheus metrics.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { SinkMetrics } from '@tollgate/tap-delivery';

export interface TapMetrics extends SinkMetrics {
  received(format: string, n: number): void;
  rejected(format: string, reason: string, n?: number): void;
  /** Lines cut short by their writer that still made their event. */
  repaired(format: string, n: number): void;
  /** Accepted events stamped before the arrival's month (their period may be invoiced already). */
  closedPeriod(format: string, n: number): void;
}

export function createTapMetrics(registry: Registry): TapMetrics {
  const received = new Counter({ name: 'tollgate_tap_records_received_total', help: 'Records received, by input format', labelNames: ['format'], registers: [registry] });
  const rejected = new Counter({ name: 'tollgate_tap_records_rejected_total', help: 'Records or requests rejected, by format and reason', labelNames: ['format', 'reason'], registers: [registry] });
  const repaired = new Counter({ name: 'tollgate_tap_lines_repaired_total', help: 'Lines cut short by their writer (a text log line without its end) that still made their event, by format', labelNames: ['format'], registers: [registry] });
  const closedPeriod = new Counter({ name: 'tollgate_tap_events_for_closed_periods_total', help: 'Accepted events stamped before the month they arrived in: billed as late usage if their period was invoiced', labelNames: ['format'], registers: [registry] });
  const produced = new Counter({ name: 'tollgate_tap_events_produced_total', help: 'Events acknowledged by Kafka directly', registers: [registry] });
  const spooled = new Counter({ name: 'tollgate_tap_events_spooled_total', help: 'Events written to the on-disk spool', registers: [registry] });
  const replayed = new Counter({ name: 'tollgate_tap_events_replayed_total', help: 'Spooled events replayed to Kafka', registers: [registry] });
  const spoolBytes = new Gauge({ name: 'tollgate_tap_spool_bytes', help: 'Bytes waiting in the spool', registers: [registry] });
  const spooling = new Gauge({ name: 'tollgate_tap_spooling', help: '1 while Kafka is unreachable and events go to the spool', registers: [registry] });
  return {
    received: (format, n) => received.inc({ format }, n),
    rejected: (format, reason, n = 1) => rejected.inc({ format, reason }, n),
    repaired: (format, n) => repaired.inc({ format }, n),
    closedPeriod: (format, n) => closedPeriod.inc({ format }, n),
    produced: (n) => produced.inc(n),
    spooled: (n) => spooled.inc(n),
    replayed: (n) => replayed.inc(n),
    state: (isSpooling, bytes) => {
      spooling.set(isSpooling ? 1 : 0);
      spoolBytes.set(bytes);
    },
  };
}
