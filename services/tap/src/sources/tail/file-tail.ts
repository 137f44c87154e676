// One followed file, from lines to acknowledged events to checkpoint:
//   1. read: the follower hands out lines (at most MAX_INFLIGHT_BATCHES unacknowledged batches
//      per file: reading waits for delivery, so a slow Kafka slows the reading, not the memory);
//   2. map: each line through its format's own parseLine + map, with a MapContext whose newId is
//      the line's derived id (line-id.ts); a line its format rejects is counted and logged with
//      file and offset, and skipped;
//   3. deliver: the batch's messages go to the event sink, which resolves once they are in
//      Kafka or the spool (what an HTTP ingest request waits for before its 202);
//   4. checkpoint: batches are acknowledged in order, and only then is the checkpoint moved to
//      the end of the last acknowledged batch (writes coalesce: one in flight at a time).
// A new generation (rotation, truncation, first start) waits for every earlier batch, then writes
// its checkpoint before its first line goes out: its salt must be on disk before any id made with it.
import type { Logger } from 'pino';
import type { TextMessage } from '@tollgate/tap-delivery';
import { openPeriodStart, toMessage } from '../../ingest/app.ts';
import type { InputFormat, MapContext } from '../../ingest/formats/types.ts';
import type { TapMetrics } from '../../metrics.ts';
import type { Checkpoint, CheckpointStore, Generation, Head } from './checkpoint-store.ts';
import { FileFollower, type FollowStep } from './file-follower.ts';
import { lineEventIds } from './line-id.ts';
import type { TailFile, TailStart } from './tail-files.ts';
import type { TailMetrics } from './tail-metrics.ts';

/**
 * Unacknowledged batches per file; each is at most READ_BYTES of lines (~1 300 combined lines):
 * 2 MiB of a file in flight at most. Batches this size keep the sink's sends small and several
 * queued behind the one in flight (bench/tail-source.ts; 1 MiB reads were slower).
 */
export const MAX_INFLIGHT_BATCHES = 8;
export const READ_BYTES = 256 * 1024;
/** Lines longer than this are dropped and counted (too_long): they would hold the file's buffer. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** How long a renamed file must stay quiet before the new one is read (see file-follower.ts). */
export const ROTATE_GRACE_MS = 1_000;
/** Bad lines logged one by one per batch; the rest of the batch's are summed up in one line. */
const LOGGED_BAD_LINES = 5;
const RETRY_MS = 1_000;

/** The sink's side the source needs: EventSink.accept. */
export interface MessageSink {
  accept(messages: TextMessage[]): Promise<void>;
}

export interface FileTailDeps {
  file: TailFile;
  format: InputFormat;
  start: TailStart;
  pollMs: number;
  store: CheckpointStore;
  sink: MessageSink;
  mapContext: Omit<MapContext, 'receivedAt' | 'newId'>;
  tapMetrics: TapMetrics;
  metrics: TailMetrics;
  log: Logger;
  now: () => Date;
  rotateGraceMs?: number;
}

interface Batch {
  generation: Generation;
  position: number;
  head: Head | undefined;
  events: number;
  settled: boolean;
  delivered: boolean;
  done: Promise<void>;
}

export class FileTail {
  private readonly follower: FileFollower;
  private readonly inflight: Batch[] = [];
  /** The checkpoint of everything acknowledged so far (what the next save writes). */
  private acked: Checkpoint | undefined;
  /** A batch could not be delivered (the tap is stopping): nothing after it may be checkpointed. */
  private blocked = false;
  private saving: Promise<void> | undefined;
  private saveAgain = false;
  private stopping = false;
  /** Sleepers (the read loop's poll, a delivery's retry) that close() or a watch event wakes early. */
  private readonly sleepers = new Set<() => void>();
  private loop: Promise<void> | undefined;
  private failure: string | undefined;

  constructor(private readonly deps: FileTailDeps) {
    this.follower = new FileFollower({
      path: deps.file.path,
      maxLineBytes: MAX_LINE_BYTES,
      readBytes: READ_BYTES,
      rotateGraceMs: deps.rotateGraceMs ?? ROTATE_GRACE_MS,
    });
  }

  start(): void {
    this.loop = this.run();
  }

  /** Poll now rather than at the next interval (an fs.watch event). */
  wake(): void {
    for (const wake of this.sleepers) wake();
  }

  get path(): string {
    return this.deps.file.path;
  }

  /** Bytes of the file after its checkpoint. */
  get bytesBehind(): number {
    const generation = this.follower.generation;
    const acked = this.acked;
    const from = acked !== undefined && generation !== undefined && sameGeneration(acked.generation, generation) ? acked.offset : 0;
    return Math.max(0, this.follower.size - from);
  }

  /** For /readyz: what the file source is doing with this file. */
  get state(): string {
    if (this.failure !== undefined) return `failing: ${this.failure}`;
    if (!this.follower.following) return 'waiting for the file to appear';
    return `following at offset ${this.acked?.offset ?? 0}, ${this.bytesBehind} bytes behind`;
  }

  /** Stops reading, waits for the batches in flight, writes the final checkpoint. */
  async close(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    await this.follower.close();
  }

  /**
   * A file that cannot be read for now (permissions, an unreadable checkpoint) never takes the tap
   * down: the reason is logged once, shown in /readyz, and the step tried again.
   */
  private async failed(error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    if (reason !== this.failure) this.deps.log.error({ err: error, file: this.deps.file.path }, `${this.deps.file.path} cannot be read: ${reason}; trying again every ${RETRY_MS} ms`);
    this.failure = reason;
    await this.sleep(Math.max(this.deps.pollMs, RETRY_MS));
  }

  /** Loads the checkpoint and positions the follower; false when the tap stops first. */
  private async resume(): Promise<boolean> {
    const { file, store, log } = this.deps;
    while (!this.stopping) {
      try {
        const checkpoint = await store.load(file.path);
        this.acked = checkpoint;
        const note = await this.follower.start(checkpoint, this.deps.start);
        if (note !== undefined) log.warn({ file: file.path }, note);
        this.failure = undefined;
        return true;
      } catch (error) {
        await this.failed(error);
      }
    }
    return false;
  }

  private async run(): Promise<void> {
    if (!(await this.resume())) return;
    while (!this.stopping) {
      if (this.inflight.length >= MAX_INFLIGHT_BATCHES) {
        await (this.inflight[0] as Batch).done;
        continue;
      }
      let step: FollowStep;
      try {
        step = await this.follower.next();
        this.failure = undefined;
      } catch (error) {
        await this.failed(error);
        continue;
      }
      if (step.kind === 'idle') await this.sleep(this.deps.pollMs);
      else if (step.kind === 'lines') this.send(step);
      else await this.startGeneration(step);
    }
    await Promise.all(this.inflight.map((batch) => batch.done));
    await this.save();
  }

  private async startGeneration(step: Extract<FollowStep, { kind: 'generation' }>): Promise<void> {
    await Promise.all(this.inflight.map((batch) => batch.done));
    if (this.blocked) return;
    if (step.reason !== 'new') {
      this.deps.metrics.rotated(this.deps.file.path, step.reason);
      this.deps.log.info({ file: this.deps.file.path, inode: step.generation.ino }, `${this.deps.file.path} ${step.reason === 'rename' ? 'was rotated (renamed)' : 'was truncated'}: reading it from offset ${step.position}`);
    }
    this.acked = { path: this.deps.file.path, generation: step.generation, offset: step.position };
    await this.save();
  }

  private send(step: Extract<FollowStep, { kind: 'lines' }>): void {
    const { file, format, log, metrics, tapMetrics } = this.deps;
    const receivedAt = this.deps.now();
    const periodStart = openPeriodStart(receivedAt);
    let lineOffset = 0;
    const idAt = lineEventIds(step.generation);
    const ctx: MapContext = { ...this.deps.mapContext, receivedAt, newId: () => idAt(lineOffset) };
    const messages: TextMessage[] = [];
    let rejected = 0;
    let repaired = 0;
    let closedPeriod = 0;
    const parse = format.parseLine as (line: string) => unknown;
    for (const line of step.lines) {
      lineOffset = line.offset;
      const mapped = format.map(parse(line.text), ctx);
      if (mapped.ok) {
        if (mapped.repaired) repaired += 1;
        if (Date.parse(mapped.event.timestamp) < periodStart) closedPeriod += 1;
        messages.push(toMessage(mapped.event, mapped.verbatim ? line.text : undefined));
        continue;
      }
      rejected += 1;
      if (rejected <= LOGGED_BAD_LINES) log.warn({ file: file.path, offset: line.offset, reason: mapped.reason }, `${file.path} at byte ${line.offset}: line skipped: ${mapped.reason}`);
    }
    if (rejected > LOGGED_BAD_LINES) log.warn({ file: file.path, skipped: rejected - LOGGED_BAD_LINES }, `${file.path}: ${rejected - LOGGED_BAD_LINES} more lines skipped in this read`);
    for (const offset of step.tooLong) log.warn({ file: file.path, offset }, `${file.path} at byte ${offset}: line longer than ${MAX_LINE_BYTES} bytes skipped`);

    metrics.lines(file.path, 'event', messages.length);
    if (rejected > 0) metrics.lines(file.path, 'rejected', rejected);
    if (step.tooLong.length > 0) metrics.lines(file.path, 'too_long', step.tooLong.length);
    tapMetrics.received(format.name, step.lines.length);
    if (rejected > 0) tapMetrics.rejected(format.name, 'invalid_record', rejected);
    if (repaired > 0) tapMetrics.repaired(format.name, repaired);
    if (closedPeriod > 0) tapMetrics.closedPeriod(format.name, closedPeriod);

    const batch: Batch = { generation: step.generation, position: step.position, head: step.head, events: messages.length, settled: false, delivered: false, done: Promise.resolve() };
    batch.done = this.deliver(messages).then((delivered) => {
      batch.settled = true;
      batch.delivered = delivered;
      this.advance();
    });
    this.inflight.push(batch);
  }

  /** Hands the messages to the sink until it takes them; false when the tap stops first. */
  private async deliver(messages: TextMessage[]): Promise<boolean> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.deps.sink.accept(messages);
        return true;
      } catch (error) {
        if (this.stopping) return false;
        if (attempt === 0) this.deps.log.warn({ err: error, file: this.deps.file.path }, `${this.deps.file.path}: delivery refused; retrying every ${RETRY_MS} ms (reading waits)`);
        await this.sleep(RETRY_MS);
      }
    }
  }

  /** Moves the checkpoint over the acknowledged batches at the head of the line, in order. */
  private advance(): void {
    let moved = false;
    while (!this.blocked && this.inflight[0]?.settled) {
      const batch = this.inflight.shift() as Batch;
      if (!batch.delivered) {
        this.blocked = true;
        break;
      }
      this.deps.metrics.delivered(this.deps.file.path, batch.events);
      this.acked = { path: this.deps.file.path, generation: batch.generation, offset: batch.position, ...(batch.head ? { head: batch.head } : {}) };
      moved = true;
    }
    if (moved) void this.save();
  }

  /** Writes the latest acknowledged checkpoint; resolves once what was acknowledged at the call is on disk. */
  private save(): Promise<void> {
    this.saveAgain = true;
    this.saving ??= (async () => {
      while (this.saveAgain) {
        this.saveAgain = false;
        const checkpoint = this.acked;
        if (checkpoint === undefined) continue;
        try {
          await this.deps.store.save(checkpoint);
        } catch (error) {
          // The previous checkpoint stays: a restart replays more lines, with the same ids.
          this.deps.log.error({ err: error, file: this.deps.file.path }, 'tail checkpoint write failed');
        }
      }
    })().finally(() => {
      this.saving = undefined;
    });
    return this.saving;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }
}

function sameGeneration(a: Generation, b: Generation): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.salt === b.salt;
}
