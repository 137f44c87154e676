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

export class KafkaTransport implements MessageTransport {
  private readonly producer: Producer;
  private connecting: Promise<void> | undefined;
  private connected = false;
  private topicReady = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: KafkaTransportOptions,
  ) {
    // Few retries: when the broker is gone the sink spools instead of holding requests.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async send(messages: SpoolMessage[]): Promise<void> {
    await this.connect();
    await this.producer.send({
      topic: this.options.topic,
      acks: -1,
      compression: codecs[this.options.compression],
      messages,
    });
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
