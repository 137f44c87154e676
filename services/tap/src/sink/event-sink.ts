// Delivers the tap's messages to Kafka, or to the on-disk spool while Kafka is unreachable, and
// tells each caller when its messages are safe. One loop owns all I/O, so ordering is simple:
//
//   direct:   pending batches go to Kafka; a failed send moves the batch to the spool and
//             switches to spooling.
//   spooling: pending batches are appended to the spool (acknowledged once written); between
//             appends the loop replays the spool's oldest chunk to Kafka, and switches back to
//             direct once the spool is empty — so events reach Kafka in the order they came.
//
// Requests arriving while a send is in flight accumulate into the next batch (the linger).
import type { Logger } from 'pino';
import { messageFromExchange, type Exchange } from '../exchange.ts';
import { SpoolFullError, type Spool, type SpoolMessage } from './spool.ts';

export interface MessageTransport {
  /** Resolves once the broker acknowledged every message (acks from all in-sync replicas). */
  send(messages: SpoolMessage[]): Promise<void>;
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

interface Pending {
  messages: SpoolMessage[];
  resolve: () => void;
  reject: (error: Error) => void;
}

export class EventSink {
  private queue: Pending[] = [];
  private queuedMessages = 0;
  private spooling: boolean;
  private retryAt = 0;
  private retryDelay: number;
  private wake: (() => void) | undefined;
  private closing = false;
  /** Events the plugin path could not hand over (spool full). */
  dropped = 0;
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
  accept(messages: SpoolMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    if (this.closing) return Promise.reject(new Error('the tap is shutting down'));
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      this.queuedMessages += messages.length;
      this.wake?.();
    });
  }

  /** For the in-process plugin: fire and forget; a refusal (spool full) is counted and logged. */
  record(exchange: Exchange): void {
    this.accept([messageFromExchange(exchange)]).catch((error: unknown) => {
      this.dropped += 1;
      this.log.warn({ err: error }, 'event dropped: Kafka unreachable and the spool full');
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

  /** Sends or spools everything accepted so far, then stops the loop. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    for (;;) {
      let worked = false;
      if (this.queue.length > 0) {
        await this.lingerIfSmall();
        await this.deliver(this.takeBatch());
        worked = true;
      }
      // Replay between appends, so a steady stream of requests cannot starve the drain.
      if (this.spooling && !this.closing && Date.now() >= this.retryAt) {
        await this.replayOneChunk();
        worked = true;
      }
      if (worked) continue;
      if (this.closing) return;
      await this.sleep(this.spooling ? this.retryAt - Date.now() : undefined);
    }
  }

  private async lingerIfSmall(): Promise<void> {
    if (this.options.lingerMs > 0 && this.queuedMessages < this.options.maxBatchMessages && !this.closing) {
      await this.sleep(this.options.lingerMs, () => this.queuedMessages >= this.options.maxBatchMessages);
    }
  }

  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let size = 0;
    while (this.queue.length > 0 && (batch.length === 0 || size + (this.queue[0] as Pending).messages.length <= this.options.maxBatchMessages)) {
      const next = this.queue.shift() as Pending;
      batch.push(next);
      size += next.messages.length;
    }
    this.queuedMessages -= size;
    return batch;
  }

  private async deliver(batch: Pending[]): Promise<void> {
    const messages = batch.length === 1 ? (batch[0] as Pending).messages : batch.flatMap((p) => p.messages);
    if (!this.spooling) {
      try {
        await this.transport.send(messages);
        this.metrics.produced(messages.length);
        for (const p of batch) p.resolve();
        return;
      } catch (error) {
        this.log.warn({ err: error }, 'Kafka send failed: spooling to disk until it is back');
        this.enterSpooling();
      }
    }
    try {
      await this.spool.append(messages);
      this.spoolRefused = false;
      this.metrics.spooled(messages.length);
      for (const p of batch) p.resolve();
    } catch (error) {
      if (error instanceof SpoolFullError) this.spoolRefused = true;
      else this.log.error({ err: error }, 'spool append failed');
      for (const p of batch) p.reject(error as Error);
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
      await this.transport.send(chunk.messages);
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
