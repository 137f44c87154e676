// For the in-process plugin: the event sink in a worker thread. The request path only writes the
// exchange's fields into a batch (exchange-batch.ts) that is handed over without copying; building
// the event, serialising, batching, Kafka and the spool happen on the worker's thread, so a busy
// gateway does not pay for them in its event loop.
import { Worker } from 'node:worker_threads';
import type { KafkaSettings } from '@tollgate/platform';
import type { EventSinkOptions, KafkaTransportOptions, SpoolOptions } from '@tollgate/tap-delivery';
import { ExchangeBatchWriter } from './exchange-batch.ts';
import type { Exchange } from './exchange.ts';

export interface WorkerSinkOptions {
  kafka: KafkaSettings;
  transport: KafkaTransportOptions;
  spool: SpoolOptions;
  sink: EventSinkOptions;
  logLevel?: string;
  /**
   * Events gathered on the main thread before they cross to the worker in one message. Default
   * 2 000 events or 20 ms: a message costs the event loop ~20-60 µs to send whatever it holds.
   */
  flushEvery?: { events: number; ms: number };
  /**
   * Events handed over and not yet in Kafka or the spool, beyond which new ones are dropped and
   * counted instead of queueing in memory without end (a worker starved of CPU). Default 100 000.
   */
  maxPendingEvents?: number;
}

/** Text room per event in a batch (UTF-16 code units); a batch with longer text is handed over early. */
const TEXT_UNITS_PER_EVENT = 64;

export class WorkerSink {
  private readonly batch: ExchangeBatchWriter;
  private timer: NodeJS.Timeout | undefined;
  private handedOver = 0;
  private droppedByWorker = 0;
  private droppedAtBacklog = 0;
  /** Dropped at a full backlog and not yet reported through onDropped. */
  private unreportedBacklogDrops = 0;
  delivered = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly flushEvery: { events: number; ms: number },
    private readonly maxPendingEvents: number,
    private readonly onDropped: (count: number, reason: string) => void,
  ) {
    this.batch = new ExchangeBatchWriter(flushEvery.events, flushEvery.events * TEXT_UNITS_PER_EVENT);
    worker.on('message', (m: { delivered?: number; dropped?: number; reason?: string; numbers?: Float64Array<ArrayBuffer>; text?: Uint16Array<ArrayBuffer> }) => {
      if (m.numbers && m.text) this.batch.recycle(m.numbers, m.text);
      if (m.delivered) this.delivered += m.delivered;
      if (m.dropped) {
        this.droppedByWorker += m.dropped;
        this.onDropped(m.dropped, m.reason ?? 'unknown');
      }
    });
  }

  static async start(options: WorkerSinkOptions, onDropped: (count: number, reason: string) => void = () => undefined): Promise<WorkerSink> {
    // Beside this module: in the source tree a plain-JS entry that loads the TypeScript worker through
    // tsx; in the build (npm run build -w packages/tap-plugin) the bundled worker itself.
    // A small young generation: the worker writes events as bytes and makes little garbage, and
    // V8's default let its heap take ~40 MB more of the gateway's memory under load (211 against
    // 174 MB peak, hello-world + plugin) for no CPU saved (bench/plugin-sink.ts).
    const worker = new Worker(new URL('./sink-worker-entry.mjs', import.meta.url), { workerData: options, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: { ready?: boolean }) => m.ready && resolve());
    });
    return new WorkerSink(worker, options.flushEvery ?? { events: 2_000, ms: 20 }, options.maxPendingEvents ?? 100_000, onDropped);
  }

  /** Events not delivered: the spool was full, or the backlog was. */
  get dropped(): number {
    return this.droppedByWorker + this.droppedAtBacklog;
  }

  /** Recorded and neither in Kafka or the spool nor dropped yet. */
  get pending(): number {
    return this.handedOver + this.batch.size - this.delivered - this.droppedByWorker;
  }

  record(exchange: Exchange): void {
    if (this.pending >= this.maxPendingEvents) {
      this.droppedAtBacklog += 1;
      this.unreportedBacklogDrops += 1;
      this.timer ??= setTimeout(() => this.flush(), this.flushEvery.ms);
      return;
    }
    // A full batch is handed over and the exchange goes into the next (grown if it alone is larger).
    while (!this.batch.add(exchange)) this.flush();
    if (this.batch.size >= this.flushEvery.events) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushEvery.ms);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.unreportedBacklogDrops > 0) {
      // Reported once per flush, not per event: a starved worker must not also flood the log.
      this.onDropped(this.unreportedBacklogDrops, `worker backlog full (${this.maxPendingEvents} events pending)`);
      this.unreportedBacklogDrops = 0;
    }
    const batch = this.batch.take();
    if (!batch) return;
    this.worker.postMessage({ batch }, [batch.numbers.buffer, batch.text.buffer]);
    this.handedOver += batch.count;
  }

  /** Hands over what is buffered, lets the worker flush to Kafka (or the spool), then stops it. */
  async close(): Promise<void> {
    this.flush();
    await new Promise<void>((resolve) => {
      this.worker.on('message', (m: { closed?: boolean }) => m.closed && resolve());
      this.worker.postMessage({ close: true });
    });
    await this.worker.terminate();
  }
}
