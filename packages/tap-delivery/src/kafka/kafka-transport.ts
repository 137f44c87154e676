// The Kafka side of the sink: an idempotent producer with acks from all in-sync replicas, writing
// to a topic it creates when missing.
//
// Connections, metadata and the producer id come from @platformatic/kafka, not kafkajs (which the
// rest of Tollgate uses): on the tap's hot path its producer sent 2.3 times the messages per second
// at half the CPU per message (bench/kafka-producers.ts). The record batches and the Produce request
// are our own (record-batch.ts, produce-request.ts): the tap sends text keys and values only, and
// the library's general path (a Map of headers, a growable buffer and a Buffer per message) cost
// more than building the event. Topic creation stays on kafkajs.
import type { Kafka } from 'kafkajs';
import { ConnectionPool, ProduceAcks, produceV9, Producer, Writer, type ClusterMetadata } from '@platformatic/kafka';
import { createMissingTopics, type KafkaSettings } from '@tollgate/platform';
import { groupBy } from '@tollgate/platform/group-by';
import type { MessageTransport } from '../delivery/event-sink.ts';
import { encodeProduceRequest, PRODUCE_API_KEY, PRODUCE_VERSION, type PartitionBatch } from './produce-request.ts';
import { encodeRecordBatch, type Compression } from './record-batch.ts';
import { messagesOf, recordSetOf, splitRecords, type RecordSet } from './record-set.ts';

export interface KafkaTransportOptions {
  topic: string;
  partitions: number;
  compression: Compression;
  /**
   * A partition's records beyond this many bytes (before compression) go out as several record
   * batches, one Produce request after another: the broker refuses a batch over its
   * message.max.bytes (1 MiB by default). Default 800 000, which even incompressible records
   * keep under 1 MiB after snappy.
   */
  maxBatchBytes?: number;
}

export const DEFAULT_MAX_BATCH_BYTES = 800_000;

/**
 * Answers meaning the broker no longer matches this producer's idempotence state (its id, epoch or
 * sequence numbers): resending can never succeed, only a new producer id can.
 */
const LOST_PRODUCER_STATE = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH', 'INVALID_PRODUCER_ID_MAPPING']);

interface ErrorLike {
  apiId?: unknown;
  errors?: unknown;
  cause?: unknown;
}

function lostProducerState(error: unknown, depth = 0): boolean {
  const e = error as ErrorLike | undefined;
  if (!e || depth > 5) return false;
  if (typeof e.apiId === 'string' && LOST_PRODUCER_STATE.has(e.apiId)) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => lostProducerState(inner, depth + 1))) return true;
  return lostProducerState(e.cause, depth + 1);
}

/** Used for metadata and the producer id only: it never serialises a message. */
type MetadataProducer = Producer;

/** Tries of one send before it fails (and the sink spools): the broker gone is not waited out here. */
const SEND_ATTEMPTS = 3;
const RETRY_DELAY_MS = 100;
/** How long the broker may take to have the batch on every in-sync replica. */
const PRODUCE_TIMEOUT_MS = 10_000;
/** Sequence numbers are int32 and wrap to 0, as Kafka's own producer wraps them. */
const SEQUENCE_WRAP = 2 ** 31;

interface ProducerIdentity {
  producerId: bigint;
  producerEpoch: number;
}

export class KafkaTransport implements MessageTransport {
  /** Metadata and the producer id; the batches go over `pool`. */
  private producer: MetadataProducer;
  private readonly pool: ConnectionPool;
  private identity: Promise<ProducerIdentity> | undefined;
  /** The next sequence number of each partition, for the current producer id. */
  private readonly sequences = new Map<number, number>();
  private topicReady: Promise<void> | undefined;
  private connected = false;
  private knownPartitions: number;
  /** How many times the producer was replaced after the broker lost its idempotence state. */
  producerResets = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly settings: KafkaSettings,
    private readonly options: KafkaTransportOptions,
  ) {
    this.knownPartitions = options.partitions;
    this.producer = this.createProducer();
    this.pool = new ConnectionPool(settings.clientId, { connectTimeout: 2_000, requestTimeout: PRODUCE_TIMEOUT_MS + 2_000 });
  }

  private createProducer(): MetadataProducer {
    return new Producer({
      clientId: this.settings.clientId,
      bootstrapBrokers: this.settings.brokers,
      idempotent: true,
      // Metadata and producer-id calls: few retries, as the sink spools rather than wait out a
      // broker that is gone. (The library's default for an idempotent producer retries for ever.)
      retries: 2,
      retryDelay: 100,
      connectTimeout: 2_000,
      timeout: PRODUCE_TIMEOUT_MS,
    });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** The topic's partition count as the broker last said (until then, as configured). */
  get partitions(): number {
    return this.knownPartitions;
  }

  async send(records: RecordSet): Promise<void> {
    await this.connect();
    try {
      await this.produce(records);
      this.connected = true;
    } catch (error) {
      this.connected = false;
      // Resends of the identical batch (the spool replays whole batches) are deduplicated by the
      // broker. When it has lost this producer's state instead (a broker that came back without
      // it, an expired producer id), no resend can succeed and the spool would never drain: a new
      // producer id lets it drain, at the price that a batch the broker had written before
      // failing may be written twice. Counted, and logged by the sink.
      if (lostProducerState(error)) await this.replaceProducer();
      throw error;
    }
  }

  private async produce(records: RecordSet): Promise<void> {
    const { producerId, producerEpoch } = await this.producerIdentity();
    const topic = this.options.topic;
    let metadata = await this.producer.metadata({ topics: [topic] });
    const partitions = metadata.topics.get(topic)?.partitionsCount ?? 0;
    if (partitions === 0) throw new Error(`topic ${topic} has no partitions in the broker's metadata`);
    this.knownPartitions = partitions;
    // Split for another partition count (the topic grew): split again, as a replay would be.
    if (records.partitions !== partitions) records = recordSetOf(messagesOf(records), partitions);
    // Usually one request; a partition with more bytes than a batch may hold needs more, in order.
    const timestamp = Date.now();
    const requests: PartitionBatch[][] = [];
    for (const [partition, own] of records.byPartition) {
      let baseSequence = this.sequences.get(partition) ?? 0;
      for (const [i, piece] of splitRecords(own, this.options.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES).entries()) {
        (requests[i] ??= []).push({ partition, batch: encodeRecordBatch(piece, { producerId, producerEpoch, baseSequence, timestamp }, this.options.compression) });
        baseSequence = (baseSequence + piece.count) % SEQUENCE_WRAP;
      }
    }
    for (const batches of requests) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.sendBatches(metadata, batches);
          break;
        } catch (error) {
          if (attempt >= SEND_ATTEMPTS || lostProducerState(error)) throw error;
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
          // A moved leader is the usual cause: ask again where each partition lives.
          metadata = await this.producer.metadata({ topics: [topic], forceUpdate: true });
        }
      }
    }
    // Only once every partition's batch is in: a send that failed anywhere is sent again whole (now
    // or from the spool) with the same sequence numbers, and the broker drops what it already has
    // (it remembers a producer's last five batches in each partition).
    for (const [partition, own] of records.byPartition) {
      this.sequences.set(partition, ((this.sequences.get(partition) ?? 0) + own.count) % SEQUENCE_WRAP);
    }
  }

  /** One Produce request per leader broker, at once; resolves when every broker acknowledged. */
  private async sendBatches(metadata: ClusterMetadata, batches: PartitionBatch[]): Promise<void> {
    const topic = this.options.topic;
    const partitions = metadata.topics.get(topic)?.partitions ?? [];
    const byLeader = groupBy(batches, (batch) => partitions[batch.partition]?.leader ?? -1);
    await Promise.all(
      Array.from(byLeader, async ([leader, own]) => {
        const broker = metadata.brokers.get(leader);
        if (!broker) throw new Error(`no leader known for partitions ${own.map((b) => b.partition).join(', ')} of ${topic}`);
        const connection = await this.pool.get(broker);
        const parts = encodeProduceRequest(topic, own, ProduceAcks.ALL, PRODUCE_TIMEOUT_MS);
        const payload = (): Writer => {
          const writer = Writer.create();
          for (const part of parts) writer.append(part);
          return writer;
        };
        await new Promise<void>((resolve, reject) => {
          // The library's parser throws a ResponseError naming each partition's error code.
          connection.send(PRODUCE_API_KEY, PRODUCE_VERSION, payload, produceV9.parseResponse, true, true, (error) => (error ? reject(error) : resolve()));
        });
      }),
    );
  }

  private producerIdentity(): Promise<ProducerIdentity> {
    this.identity ??= this.producer.initIdempotentProducer({}).then(
      ({ producerId, producerEpoch }) => ({ producerId, producerEpoch }),
      (error: unknown) => {
        this.identity = undefined;
        throw error;
      },
    );
    return this.identity;
  }

  private async replaceProducer(): Promise<void> {
    const old = this.producer;
    this.producer = this.createProducer();
    this.identity = undefined;
    this.sequences.clear();
    this.producerResets += 1;
    await Promise.resolve(old.close(true)).catch(() => undefined);
  }

  /** Creates the topic once and checks the producer reaches a broker; safe to call concurrently. */
  async connect(): Promise<void> {
    this.topicReady ??= ensureTopic(this.kafka, this.options.topic, this.options.partitions, this.settings.replicationFactor).catch((error: unknown) => {
      this.topicReady = undefined;
      throw error;
    });
    await this.topicReady;
    if (!this.connected) {
      await this.producer.metadata({ topics: [this.options.topic] });
      this.connected = true;
    }
  }

  async close(): Promise<void> {
    await this.producer.close();
    await this.pool.close();
    this.connected = false;
  }
}

export async function ensureTopic(kafka: Kafka, topic: string, partitions: number, replicationFactor?: number): Promise<void> {
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } });
  await admin.connect();
  try {
    await createMissingTopics(admin, [{ topic, partitions }], replicationFactor);
  } finally {
    await admin.disconnect();
  }
}
