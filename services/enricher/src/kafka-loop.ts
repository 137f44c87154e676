// The enricher's consumer group, with an exactly-once effect on ClickHouse.
//
// ClickHouse's Kafka Connect sink reaches exactly-once by remembering the offset range of each
// batch it inserts and, after a failure, re-inserting that identical range under insert
// deduplication. We do the same, and keep the memory in the consumer group itself: before a
// batch is written, its range is committed as offset metadata (an "intent"); after ClickHouse
// accepted it, the next range's intent, or the next offset with no intent at the partition's end,
// is committed. Whoever owns the partition next (this
// process after a crash, or another instance after a rebalance) reads the intent and replays
// exactly that range under the same deduplication token, so a crash at any point neither loses
// nor doubles a row — in the usage table or in the rollups its materialized views feed.
//
// An event id is stored once even when two messages carry it (a tap replaying log lines after a
// crash, a gateway retrying a request): before a range is written, the events api_requests holds
// already, and repeats within the range, are left out (duplicates.ts).
//
// No event may stop a partition for good: a message that is not a valid event, and a row that
// ClickHouse refuses for its content (see writer.ts), go to the dead-letter topic with the reason,
// and the rest of the range is stored. Only an outage pauses the partition and retries it.
//
// The Kafka clients and the store are handed in (as OpenMeter's sink takes its Storage), so this
// logic runs against fakes in unit tests and against the broker in integration tests.
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { createMissingTopics } from '@tollgate/platform';
import { processBatch, type DeadLetter, type ProcessedBatch } from './batch.ts';
import { withoutDuplicates } from './duplicates.ts';
import type { EnricherMetrics } from './metrics.ts';
import type { EnrichDeps } from './rows.ts';
import type { StoredEvents } from './stored-events.ts';
import { batchToken, type UsageStore } from './writer.ts';

const INTENT = 'tollgate-enricher/v1 writing ';

export function encodeIntent(first: bigint, last: bigint): string {
  return `${INTENT}${first}-${last}`;
}

export function decodeIntent(metadata: string | null | undefined): { first: bigint; last: bigint } | undefined {
  const match = metadata?.startsWith(INTENT) ? /^(\d+)-(\d+)$/.exec(metadata.slice(INTENT.length)) : null;
  return match ? { first: BigInt(match[1] as string), last: BigInt(match[2] as string) } : undefined;
}

export interface KafkaLoopOptions {
  topic: string;
  dlqTopic: string;
  groupId: string;
  maxBytesPerPartition: number;
  minBytes: number;
  maxWaitMs: number;
  /** Partitions whose batches are worked on at once: one enriches while another's insert runs. */
  partitionsConcurrently: number;
  sessionTimeoutMs: number;
  /** How long a rebalance waits for the members to rejoin (kafkajs's default: 60 s). */
  rebalanceTimeoutMs?: number | undefined;
  retryMs: number;
  maxRetryMs: number;
  /** Replication of the topics the loop creates (KAFKA_REPLICATION_FACTOR); undefined: the broker's default. */
  replicationFactor?: number | undefined;
}

/** A range written: its enriched batch, and the usage rows that went to ClickHouse (duplicates left out). */
interface WrittenRange {
  processed: ProcessedBatch;
  rows: number;
}

interface PartitionState {
  /** A range committed as an intent and not yet confirmed written. */
  pending: { first: bigint; last: bigint } | undefined;
  /** Messages of the pending range gathered so far, in offset order. */
  replay: KafkaMessage[];
  retryDelayMs: number;
  /** A range written in the background: settles true once written, false when it failed (pending). */
  writing: Promise<boolean>;
}

/** The three Kafka clients the loop works with. */
export interface EnricherKafkaClients {
  consumer: Consumer;
  /** Writes the dead-letter topic. */
  dlq: Producer;
  admin: Admin;
}

export function createEnricherKafkaClients(kafka: Kafka, options: Pick<KafkaLoopOptions, 'groupId' | 'maxBytesPerPartition' | 'minBytes' | 'maxWaitMs' | 'sessionTimeoutMs' | 'rebalanceTimeoutMs'>): EnricherKafkaClients {
  return {
    consumer: kafka.consumer({
      groupId: options.groupId,
      maxBytesPerPartition: options.maxBytesPerPartition,
      maxBytes: options.maxBytesPerPartition * 4,
      minBytes: options.minBytes,
      maxWaitTimeInMs: options.maxWaitMs,
      sessionTimeout: options.sessionTimeoutMs,
      ...(options.rebalanceTimeoutMs === undefined ? {} : { rebalanceTimeout: options.rebalanceTimeoutMs }),
      heartbeatInterval: Math.min(3_000, Math.floor(options.sessionTimeoutMs / 3)),
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5_000 },
    }),
    dlq: kafka.producer({ idempotent: true, maxInFlightRequests: 1 }),
    admin: kafka.admin(),
  };
}

export class EnricherLoop {
  private readonly consumer: Consumer;
  private readonly dlq: Producer;
  private readonly admin: Admin;
  private readonly states = new Map<number, PartitionState>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Ranges being written in the background (see onBatch), by group generation; they never reject. */
  private readonly backgroundWrites = new Map<Promise<boolean>, number>();
  /** Counts this member's group generations (joins). */
  private generation = 0;
  private connected = false;
  /**
   * The group's committed offsets as this generation began, read once for all partitions: until
   * this instance commits a partition, nobody else does, so the answer stays true for it.
   */
  private committedAtJoin: Promise<Array<{ partition: number; offset: string; metadata: string | null }>> | undefined;

  constructor(
    clients: EnricherKafkaClients,
    private readonly store: UsageStore,
    private readonly storedEvents: StoredEvents,
    private readonly deps: () => EnrichDeps,
    private readonly metrics: EnricherMetrics,
    private readonly log: Logger,
    private readonly options: KafkaLoopOptions,
  ) {
    ({ consumer: this.consumer, dlq: this.dlq, admin: this.admin } = clients);
    // A new generation may have moved partitions: forget everything and re-read the intents.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.generation += 1;
      this.states.clear();
      this.committedAtJoin = undefined;
    });
    this.consumer.on(this.consumer.events.CONNECT, () => (this.connected = true));
    this.consumer.on(this.consumer.events.DISCONNECT, () => (this.connected = false));
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.log.error({ err: event.payload.error }, 'consumer crashed; kafkajs restarts it');
    });
  }

  get isConnected(): boolean {
    return this.connected && !this.stopping;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.ensureTopics();
    await this.dlq.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // kafkajs never hands out two batches of one partition at once, so each partition's
      // intent → write → confirm sequence stays in order.
      partitionsConsumedConcurrently: this.options.partitionsConcurrently,
      eachBatch: (payload) => {
        const work = this.onBatch(payload);
        const settled = work.catch(() => undefined);
        this.inFlight.add(settled);
        void settled.then(() => this.inFlight.delete(settled));
        return work;
      },
    });
  }

  /** Finishes the batches in flight, then leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.resumeTimers) clearTimeout(timer);
    await Promise.all(this.inFlight);
    await Promise.all(this.backgroundWrites.keys());
    await this.consumer.disconnect();
    await this.dlq.disconnect();
    await this.admin.disconnect();
  }

  private async ensureTopics(): Promise<void> {
    const topics = [this.options.topic, this.options.dlqTopic].map((topic) => ({ topic, partitions: 6 }));
    await createMissingTopics(this.admin, topics, this.options.replicationFactor);
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (this.stopping || !payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
    const partition = batch.partition;
    const state = this.states.get(partition) ?? (await this.loadState(partition));
    // One range at a time per partition: the one written in the background settles first.
    await state.writing;
    if (this.stopping || !payload.isRunning() || payload.isStale()) return;
    let messages = batch.messages;

    if (state.pending) {
      const { first, last } = state.pending;
      gather(state.replay, messages, first, last);
      const lastFetched = BigInt((messages.at(-1) as KafkaMessage).offset);
      if (lastFetched < last) {
        // The range spans more than this fetch: keep gathering before replaying it.
        payload.resolveOffset(String(lastFetched));
        return;
      }
      if (!(await this.writeRange(partition, state, state.replay, first, last))) return;
      payload.resolveOffset(String(last));
      messages = messages.filter((m) => BigInt(m.offset) > last);
      if (messages.length === 0) return;
    }

    const first = BigInt((messages[0] as KafkaMessage).offset);
    const last = BigInt((messages.at(-1) as KafkaMessage).offset);
    await this.commit(partition, first, encodeIntent(first, last));
    state.pending = { first, last };
    state.replay = [...messages];
    if (last + 1n < BigInt(batch.highWatermark)) {
      // More of the partition is waiting. kafkajs fetches again only once every batch of a fetch
      // has been handed back, so this range is enriched now and written in the background while
      // the next fetch is decoded. It commits nothing: the partition's next handler commits the
      // next intent (which moves the offset past this range) only after this write settled, and
      // a crash or a rebalance before that makes the next owner replay this range under the same
      // token. (A commit from outside a handler could be retried by kafkajs into a later group
      // generation, over another owner's intent.) A failed write stays pending for that handler.
      state.writing = this.writeInBackground(partition, state, messages, first, last);
      payload.resolveOffset(String(last));
    } else {
      // The partition's end: write and confirm here, so that an idle partition keeps no intent.
      if (!(await this.writeRange(partition, state, messages, first, last))) return;
      payload.resolveOffset(String(last));
    }
    this.metrics.lag(partition, Number(BigInt(batch.highWatermark) - last - 1n));
    await payload.heartbeat();
  }

  /**
   * Enriches a range and writes it: dead letters, then the rows of events not stored yet, then the
   * rows ClickHouse refused (as dead letters too). Throws when a write fails for an outage.
   * Resolves with the batch and the number of usage rows written.
   */
  private async write(partition: number, messages: KafkaMessage[], first: bigint, last: bigint): Promise<WrittenRange> {
    const processed = processBatch(partition, messages, this.deps());
    if (processed.dead.length > 0) await this.sendDeadLetters(partition, processed.dead);
    // Every earlier batch of this partition is written by now (onBatch waits for it), so the check
    // sees every earlier copy of these events. The token still names the range as received.
    const { rows, duplicates } = await withoutDuplicates(partition, processed, this.storedEvents);
    if (duplicates > 0) {
      this.metrics.duplicates(duplicates);
      this.log.debug({ partition, first: String(first), last: String(last), duplicates }, 'events already stored, or repeated in the range, left out');
    }
    const refused = await this.store.write(batchToken(this.options.topic, partition, String(first), String(last)), rows);
    if (refused.length > 0) {
      const byOffset = new Map(messages.map((m) => [m.offset, m.value]));
      await this.sendDeadLetters(partition, refused.map((r) => ({ offset: r.offset, value: byOffset.get(r.offset) ?? null, reason: r.reason })));
      this.log.warn({ partition, first: String(first), last: String(last), rows: refused.length, reason: refused[0]?.reason }, 'rows refused by ClickHouse for their content were dead-lettered; the rest of the range is stored');
      this.metrics.quarantined(refused.length);
    }
    return { processed, rows: rows.usage.count };
  }

  /** Starts writing a range (its enrichment runs now, before this returns) and tracks it for stop(). */
  private writeInBackground(partition: number, state: PartitionState, messages: KafkaMessage[], first: bigint, last: bigint): Promise<boolean> {
    const started = performance.now();
    const written = this.write(partition, messages, first, last).then(
      (range) => {
        this.written(state, range, started);
        return true;
      },
      (error: unknown) => {
        this.log.warn({ err: error, partition, first: String(first), last: String(last) }, 'background write failed; the partition\'s next batch retries it first');
        this.metrics.writeFailed();
        return false;
      },
    );
    this.backgroundWrites.set(written, this.generation);
    void written.then(() => this.backgroundWrites.delete(written));
    return written;
  }

  /** Writes one range; on failure pauses the partition and keeps the range pending for a retry. */
  private async writeRange(partition: number, state: PartitionState, messages: KafkaMessage[], first: bigint, last: bigint): Promise<boolean> {
    const started = performance.now();
    let range: WrittenRange;
    try {
      range = await this.write(partition, messages, first, last);
    } catch (error) {
      this.log.warn({ err: error, partition, first: String(first), last: String(last) }, `write failed; partition paused for ${state.retryDelayMs} ms`);
      this.metrics.writeFailed();
      this.pauseAndRetry(partition, state);
      return false;
    }
    await this.commit(partition, last + 1n, null);
    this.written(state, range, started);
    return true;
  }

  /** The partition's pending range is in ClickHouse: nothing left to replay. */
  private written(state: PartitionState, { processed, rows }: WrittenRange, started: number): void {
    state.pending = undefined;
    state.replay = [];
    state.retryDelayMs = this.options.retryMs;
    this.metrics.batchWritten(rows, processed.dead.length, processed.unknownConsumers, processed.repaired, (performance.now() - started) / 1000);
  }

  private pauseAndRetry(partition: number, state: PartitionState): void {
    const target = [{ topic: this.options.topic, partitions: [partition] }];
    this.consumer.pause(target);
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      if (!this.stopping) this.consumer.resume(target);
    }, state.retryDelayMs);
    this.resumeTimers.add(timer);
    state.retryDelayMs = Math.min(state.retryDelayMs * 2, this.options.maxRetryMs);
  }

  private async sendDeadLetters(partition: number, dead: DeadLetter[]): Promise<void> {
    await this.dlq.send({
      topic: this.options.dlqTopic,
      acks: -1,
      messages: dead.map((d) => ({
        value: d.value,
        headers: {
          'x-tollgate-error': d.reason,
          'x-tollgate-source': `${this.options.topic}/${partition}/${d.offset}`,
        },
      })),
    });
  }

  private async commit(partition: number, offset: bigint, metadata: string | null): Promise<void> {
    await this.consumer.commitOffsets([{ topic: this.options.topic, partition, offset: String(offset), metadata }]);
  }

  private async loadState(partition: number): Promise<PartitionState> {
    // A range this process still writes from an earlier generation must not race its replay.
    await Promise.all([...this.backgroundWrites].filter(([, generation]) => generation < this.generation).map(([written]) => written));
    this.committedAtJoin ??= this.admin
      .fetchOffsets({ groupId: this.options.groupId, topics: [this.options.topic] })
      .then(([topicOffsets]) => topicOffsets?.partitions ?? []);
    const committed = (await this.committedAtJoin.catch((error: unknown) => {
      this.committedAtJoin = undefined;
      throw error;
    })).find((p) => p.partition === partition);
    const intent = decodeIntent(committed?.metadata);
    const state: PartitionState = {
      // An intent is only meaningful at the offset it was committed with.
      pending: intent && committed && BigInt(committed.offset) === intent.first ? intent : undefined,
      replay: [],
      retryDelayMs: this.options.retryMs,
      writing: Promise.resolve(true),
    };
    if (state.pending) this.log.info({ partition, first: String(state.pending.first), last: String(state.pending.last) }, 'replaying an unconfirmed batch');
    this.states.set(partition, state);
    return state;
  }
}

/** Appends the messages of [first, last] that the replay buffer does not hold yet. */
function gather(replay: KafkaMessage[], messages: KafkaMessage[], first: bigint, last: bigint): void {
  let highest = replay.length > 0 ? BigInt((replay.at(-1) as KafkaMessage).offset) : first - 1n;
  for (const message of messages) {
    const offset = BigInt(message.offset);
    if (offset > highest && offset >= first && offset <= last) {
      replay.push(message);
      highest = offset;
    }
  }
}
