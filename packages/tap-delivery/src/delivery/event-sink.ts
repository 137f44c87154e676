// Delivers the tap's messages to Kafka, or to the on-disk spool while Kafka is unreachable, and
// tells each caller when its messages are safe. One loop owns all I/O, so ordering is simple:
//
//   direct:   pending batches go to Kafka; a failed send moves the batch to the spool and
//             switches to spooling.
//   spooling: pending batches are appended to the spool (acknowledged once written); between
//             appends the loop replays the spool's oldest chunk to Kafka, and switches back to
//             direct once the spool is empty — so events reach Kafka in the order they came.
//   closing:  new messages are refused; pending batches are sent or spooled; with a drain signal,
//             the spool keeps being replayed until it is empty or the signal aborts (the shutdown
//             deadline) — what is left stays on disk and is replayed at the next start.
//
// Requests arriving while a send is in flight accumulate into the next batch (the linger). Each
// accepted message is written into its batch's records at once (../kafka/record-set.ts); the spool
// gets them back as text only when a send fails. How messages become records is the caller's:
// text messages here (accept), the in-process plugin's exchanges through its own writer
// (acceptWritten), so the sink knows records, not what they were made from.
import type { Logger } from 'pino';
import { messagesOf, recordSetOf, RecordSetBuilder, type RecordSet } from '../kafka/record-set.ts';
import { SpoolFullError, type Spool } from './spool.ts';
import type { TextMessage } from './text-message.ts';

export interface MessageTransport {
  /** Resolves once the broker acknowledged every record (acks from all in-sync replicas). */
  send(records: RecordSet): Promise<void>;
  /** The topic's partition count, as far as the transport knows it: batches are split for it. */
  readonly partitions: number;
}

export interface SinkMetrics {
  produced(n: number): void;
  spooled(n: number): void;
  replayed(n: number): void;
  state(spooling: boolean, spoolBytes: number): void;
}

export interface EventSinkOptions {
  maxBatchMessages: number;
  /** Extra wait before sending a batch that is not yet full, to let concurrent requests join it. */
  lingerMs: number;
  /** First wait before replaying the spool after a failed send; doubles up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
}

interface Waiting {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A batch being filled or waiting its turn, and the callers waiting for it. */
interface Outgoing {
  records: RecordSetBuilder;
  waiting: Waiting[];
}

export class EventSink {
  private queue: Outgoing[] = [];
  private spooling: boolean;
  private retryAt = 0;
  private retryDelay: number;
  private wake: (() => void) | undefined;
  private closing = false;
  /** While closing: replay the spool until it is empty or this aborts. */
  private drainOnClose: AbortSignal | undefined;
  /** The last append found the spool full; cleared once anything is appended or replayed. */
  private spoolRefused = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly transport: MessageTransport,
    private readonly spool: Spool,
    private readonly options: EventSinkOptions,
    private readonly metrics: SinkMetrics,
    private readonly log: Logger,
  ) {
    this.spooling = !spool.isEmpty;
    this.retryDelay = options.retryMs;
    this.loop = this.run();
  }

  /** Resolves when every message is in Kafka or in the spool; rejects with SpoolFullError. */
  accept(messages: TextMessage[]): Promise<void> {
    return this.acceptWritten(messages.length, (records) => {
      for (const message of messages) records.appendMessage(message);
    });
  }

  /**
   * `count` messages that `write` appends straight into the next batch's records (no text made
   * first); resolves and rejects as accept does.
   */
  acceptWritten(count: number, write: (records: RecordSetBuilder) => void): Promise<void> {
    if (count === 0) return Promise.resolve();
    if (this.closing) return Promise.reject(new Error('the tap is shutting down'));
    const batch = this.batchWithRoom(count);
    write(batch.records);
    return this.waitFor(batch);
  }

  /** The last queued batch if `count` more fit (or it is empty), else a new one. */
  private batchWithRoom(count: number): Outgoing {
    const last = this.queue.at(-1);
    if (last && (last.records.count === 0 || last.records.count + count <= this.options.maxBatchMessages)) return last;
    const batch = { records: new RecordSetBuilder(this.transport.partitions), waiting: [] };
    this.queue.push(batch);
    return batch;
  }

  private waitFor(batch: Outgoing): Promise<void> {
    return new Promise((resolve, reject) => {
      batch.waiting.push({ resolve, reject });
      this.wake?.();
    });
  }

  get isSpooling(): boolean {
    return this.spooling;
  }

  get spoolBytes(): number {
    return this.spool.pendingBytes;
  }

  /** Whether an append could still be acknowledged: Kafka is up, or the spool has room. */
  get canAccept(): boolean {
    return !this.spooling || !this.spoolRefused;
  }

  /**
   * Sends or spools everything accepted so far, then stops the loop. With `drainSpool`, first
   * replays the spool to Kafka until it is empty or the signal aborts; the spool keeps the rest.
   */
  async close(drainSpool?: AbortSignal): Promise<void> {
    this.closing = true;
    if (drainSpool && !drainSpool.aborted) {
      this.drainOnClose = drainSpool;
      this.retryAt = 0; // Kafka may be back: try now rather than after the backoff
      drainSpool.addEventListener('abort', () => this.wake?.(), { once: true });
    }
    this.wake?.();
    await this.loop;
  }

  /** Whether the loop replays the spool: always while running, while closing only to drain it. */
  private get replaying(): boolean {
    return !this.closing || (this.drainOnClose !== undefined && !this.drainOnClose.aborted);
  }

  private async run(): Promise<void> {
    for (;;) {
      let worked = false;
      if (this.queue.length > 0) {
        await this.lingerIfSmall();
        await this.deliver(this.queue.shift() as Outgoing);
        worked = true;
      }
      // Replay between appends, so a steady stream of requests cannot starve the drain.
      if (this.spooling && this.replaying && Date.now() >= this.retryAt) {
        await this.replayOneChunk();
        worked = true;
      }
      if (worked) continue;
      if (this.closing && !(this.spooling && this.replaying)) return;
      await this.sleep(this.spooling ? this.retryAt - Date.now() : undefined);
    }
  }

  private async lingerIfSmall(): Promise<void> {
    const filling = (): boolean => this.queue.length === 1 && (this.queue[0] as Outgoing).records.count < this.options.maxBatchMessages;
    if (this.options.lingerMs > 0 && filling() && !this.closing) await this.sleep(this.options.lingerMs, () => !filling());
  }

  private async deliver(batch: Outgoing): Promise<void> {
    try {
      await this.deliverOrSpool(batch);
    } finally {
      batch.records.release();
    }
  }

  private async deliverOrSpool({ records, waiting }: Outgoing): Promise<void> {
    const set = records.build();
    if (!this.spooling) {
      try {
        await this.transport.send(set);
        this.metrics.produced(set.count);
        for (const w of waiting) w.resolve();
        return;
      } catch (error) {
        this.log.warn({ err: error }, 'Kafka send failed: spooling to disk until it is back');
        this.enterSpooling();
      }
    }
    try {
      await this.spool.append(messagesOf(set));
      this.spoolRefused = false;
      this.metrics.spooled(set.count);
      for (const w of waiting) w.resolve();
    } catch (error) {
      if (error instanceof SpoolFullError) this.spoolRefused = true;
      else this.log.error({ err: error }, 'spool append failed');
      for (const w of waiting) w.reject(error as Error);
    }
    this.reportState();
  }

  private async replayOneChunk(): Promise<void> {
    const chunk = await this.spool.read();
    if (!chunk) {
      this.spooling = false;
      this.retryDelay = this.options.retryMs;
      this.log.info('spool drained: sending to Kafka directly again');
      this.reportState();
      return;
    }
    try {
      await this.transport.send(recordSetOf(chunk.messages, this.transport.partitions));
      await this.spool.commit(chunk);
      this.spoolRefused = false;
      this.metrics.replayed(chunk.messages.length);
      this.retryDelay = this.options.retryMs;
    } catch (error) {
      this.log.debug({ err: error }, 'spool replay failed; will retry');
      this.retryAt = Date.now() + this.retryDelay;
      this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryMs);
    }
    this.reportState();
  }

  private enterSpooling(): void {
    this.spooling = true;
    this.retryAt = Date.now() + this.retryDelay;
    this.reportState();
  }

  private reportState(): void {
    this.metrics.state(this.spooling, this.spool.pendingBytes);
  }

  /** Waits up to ms (forever when undefined) or until accept()/close() wakes the loop. */
  private sleep(ms: number | undefined, until?: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, Math.max(0, ms));
      const wake = (): void => {
        if (!until || until() || this.closing) done();
      };
      this.wake = wake;
      function done(): void {
        if (timer) clearTimeout(timer);
        resolve();
      }
    }).finally(() => {
      this.wake = undefined;
    });
  }
}
