// The file source's Prometheus metrics, by followed file (its path).
import { Counter, Gauge, type Registry } from 'prom-client';

/** What became of a line read: an event, a line its format rejected, a line over the length limit. */
export type LineOutcome = 'event' | 'rejected' | 'too_long';

export interface TailMetrics {
  lines(file: string, outcome: LineOutcome, n: number): void;
  /** Events whose lines are acknowledged: in Kafka or in the spool. */
  delivered(file: string, n: number): void;
  rotated(file: string, kind: 'rename' | 'truncate'): void;
}

export function createTailMetrics(registry: Registry, bytesBehind: () => Iterable<[file: string, bytes: number]>): TailMetrics {
  const lines = new Counter({ name: 'tollgate_tap_tail_lines_total', help: 'Lines read from followed files, by file and outcome (event, rejected, too_long); their sum is the lines read', labelNames: ['file', 'outcome'], registers: [registry] });
  const delivered = new Counter({ name: 'tollgate_tap_tail_events_total', help: 'Events from followed files acknowledged (in Kafka or the spool), by file', labelNames: ['file'], registers: [registry] });
  const rotated = new Counter({ name: 'tollgate_tap_tail_rotations_total', help: 'Rotations seen in followed files, by file and kind (rename, truncate)', labelNames: ['file', 'kind'], registers: [registry] });
  new Gauge({
    name: 'tollgate_tap_tail_bytes_behind',
    help: 'Bytes of a followed file after its checkpoint: written but not yet acknowledged (file size - checkpoint offset)',
    labelNames: ['file'],
    registers: [registry],
    collect() {
      for (const [file, bytes] of bytesBehind()) this.set({ file }, bytes);
    },
  });
  return {
    lines: (file, outcome, n) => lines.inc({ file, outcome }, n),
    delivered: (file, n) => delivered.inc({ file }, n),
    rotated: (file, kind) => rotated.inc({ file, kind }),
  };
}
