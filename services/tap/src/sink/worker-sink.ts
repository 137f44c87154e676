// For the in-process plugin: the event sink in a worker thread. The request path only records the
// exchange (a flat tuple) in a buffer; building the event, serialising, batching, Kafka and the
// spool happen on the worker's thread, so a busy gateway does not pay for them in its event loop.
import { Worker } from 'node:worker_threads';
import type { Exchange } from '../exchange.ts';
import type { KafkaSettings } from '@tollgate/platform';
import type { EventSinkOptions } from './event-sink.ts';
import type { KafkaTransportOptions } from './kafka-transport.ts';
import type { SpoolOptions } from './spool.ts';

export interface WorkerSinkOptions {
  kafka: KafkaSettings;
  transport: KafkaTransportOptions;
  spool: SpoolOptions;
  sink: EventSinkOptions;
  logLevel?: string;
  /** Events gathered on the main thread before they cross to the worker in one message. */
  flushEvery?: { events: number; ms: number };
}

export class WorkerSink {
  private buffer: Exchange[] = [];
  private timer: NodeJS.Timeout | undefined;
  delivered = 0;
  dropped = 0;

  private constructor(
    private readonly worker: Worker,
    private readonly flushEvery: { events: number; ms: number },
    private readonly onDropped: (count: number, reason: string) => void,
  ) {
    worker.on('message', (m: { delivered?: number; dropped?: number; reason?: string }) => {
      if (m.delivered) this.delivered += m.delivered;
      if (m.dropped) {
        this.dropped += m.dropped;
        this.onDropped(m.dropped, m.reason ?? 'unknown');
      }
    });
  }

  static async start(options: WorkerSinkOptions, onDropped: (count: number, reason: string) => void = () => undefined): Promise<WorkerSink> {
    // The worker is TypeScript; its plain-JS entry loads it through tsx.
    const worker = new Worker(new URL('./sink-worker-entry.mjs', import.meta.url), { workerData: options });
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: { ready?: boolean }) => m.ready && resolve());
    });
    return new WorkerSink(worker, options.flushEvery ?? { events: 2_000, ms: 5 }, onDropped);
  }

  record(exchange: Exchange): void {
    this.buffer.push(exchange);
    if (this.buffer.length >= this.flushEvery.events) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushEvery.ms);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    this.worker.postMessage({ exchanges: this.buffer });
    this.buffer = [];
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
