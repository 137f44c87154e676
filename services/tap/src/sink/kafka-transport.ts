// The kafkajs side of the sink: an idempotent producer with acks from all in-sync replicas,
// writing to a topic it creates when missing.
import { CompressionTypes, type Kafka, type Producer } from 'kafkajs';
import type { Compression } from '../config.ts';
import type { MessageTransport } from './event-sink.ts';
import type { SpoolMessage } from './spool.ts';

const codecs: Record<Compression, CompressionTypes> = {
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  none: CompressionTypes.None,
};

export interface KafkaTransportOptions {
  topic: string;
  partitions: number;
  compression: Compression;
}

/**
 * Answers meaning the broker no longer matches this producer's idempotence state (its id, epoch or
 * sequence numbers): resending can never succeed, only a new producer id can.
 */
const LOST_PRODUCER_STATE = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

function lostProducerState(error: unknown): boolean {
  for (let e = error as { type?: unknown; cause?: unknown; originalError?: unknown } | undefined; e; e = (e.cause ?? e.originalError) as typeof e) {
    if (typeof e.type === 'string' && LOST_PRODUCER_STATE.has(e.type)) return true;
    if (e === e.cause || e === e.originalError) break;
  }
  return false;
}

export class KafkaTransport implements MessageTransport {
  private producer: Producer;
  /** How many times the producer was replaced after the broker lost its idempotence state. */
  producerResets = 0;
  private connecting: Promise<void> | undefined;
  private connected = false;
  private topicReady = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaTransportOptions,
  ) {
    this.producer = this.createProducer();
  }

  private createProducer(): Producer {
    // Few retries: when the broker is gone the sink spools instead of holding requests.
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    producer.on(producer.events.DISCONNECT, () => {
      if (producer === this.producer) this.connected = false;
    });
    return producer;
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async send(messages: SpoolMessage[]): Promise<void> {
    await this.connect();
    try {
      await this.producer.send({
        topic: this.options.topic,
        acks: -1,
        compression: codecs[this.options.compression],
        messages,
      });
    } catch (error) {
      // Resends of the identical batch (the spool replays whole batches) are deduplicated by the
      // broker. When it has lost this producer's state instead (a broker that came back without
      // it, an expired producer id), no resend can succeed and the spool would never drain: a new
      // producer id lets it drain, at the price that a batch the broker had written before
      // failing may be written twice. Counted, and logged by the sink.
      if (lostProducerState(error)) await this.replaceProducer();
      throw error;
    }
  }

  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.createProducer();
    this.connected = false;
    this.producerResets += 1;
    await old.disconnect().catch(() => undefined);
  }

  /** Connects and creates the topic once; safe to call concurrently and again after a failure. */
  connect(): Promise<void> {
    if (this.connected && this.topicReady) return Promise.resolve();
    this.connecting ??= this.connectOnce().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connectOnce(): Promise<void> {
    if (!this.topicReady) {
      await ensureTopic(this.kafka, this.options.topic, this.options.partitions);
      this.topicReady = true;
    }
    await this.producer.connect();
    this.connected = true;
  }

  async close(): Promise<void> {
    await this.producer.disconnect();
    this.connected = false;
  }
}

export async function ensureTopic(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } });
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
    }
  } finally {
    await admin.disconnect();
  }
}
