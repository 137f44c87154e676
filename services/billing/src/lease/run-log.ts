// The log of scheduled billing runs that replicas share (a compacted, single-partition Kafka topic,
// keyed by period): a period is `started` when its holder begins it and `finished` once it ran to
// the end. What a lease holder does with a period follows from that alone, so a replica that takes
// the lease over (the holder crashed, or was paused past its lease) decides from the same facts the
// first holder wrote, whatever its own ClickHouse holds.

export type RunLogState = 'started' | 'finished';

export interface RunLogRecord {
  period: string;
  state: RunLogState;
  run_id: string;
  /** The replica (host:pid) that wrote the record. */
  holder: string;
  at: string;
}

/** run: nobody began the period; resume: begun by a holder that did not finish it; done: finished. */
export type PeriodDecision = 'run' | 'resume' | 'done';

export class RunLog {
  private readonly periods = new Map<string, RunLogRecord>();

  /** A record as read from the topic; a later record of a period replaces an earlier one, except that finished stays finished. */
  apply(record: RunLogRecord): void {
    if (this.periods.get(record.period)?.state === 'finished') return;
    this.periods.set(record.period, record);
  }

  decide(period: string): PeriodDecision {
    const state = this.periods.get(period)?.state;
    return state === 'finished' ? 'done' : state === 'started' ? 'resume' : 'run';
  }

  /** Periods begun and never finished: the work a new holder takes over, oldest first. */
  unfinished(): string[] {
    return [...this.periods.values()].filter((r) => r.state === 'started').map((r) => r.period).sort();
  }
}

export function encodeRecord(record: RunLogRecord): { key: string; value: string } {
  return { key: record.period, value: JSON.stringify(record) };
}

export function decodeRecord(value: Buffer | null): RunLogRecord | undefined {
  if (!value) return undefined;
  try {
    const parsed = JSON.parse(value.toString('utf8')) as Partial<RunLogRecord>;
    if (typeof parsed.period !== 'string' || (parsed.state !== 'started' && parsed.state !== 'finished')) return undefined;
    return { period: parsed.period, state: parsed.state, run_id: String(parsed.run_id ?? ''), holder: String(parsed.holder ?? ''), at: String(parsed.at ?? '') };
  } catch {
    return undefined;
  }
}
