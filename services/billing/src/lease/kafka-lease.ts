// The billing run lease across replicas, held through a Kafka consumer group: every replica joins
// one group on a single-partition topic, and the group coordinator gives that partition to exactly
// one member at a time. That member is the holder: it alone runs scheduled periods. The topic is
// also the run log (run-log.ts): the holder writes `started` before a period's first Stripe call
// and `finished` after its last, and reads the whole log before it acts, so
//   - two schedulers firing at the same instant make one run (the other replica only remembers the
//     period, in case it gets the lease before the period is finished);
//   - a holder that crashes loses the partition after the session timeout (the lease timeout); the
//     next holder finds the period started and not finished and resumes it (the ledger and Stripe
//     lookups by idempotency key make the second pass invoice nobody twice);
//   - a holder that was paused past its timeout (or whose partition moved) is fenced: before each
//     Stripe side effect it checks that it still holds the partition and that the coordinator
//     acknowledged a heartbeat within half the timeout, i.e. before anyone else could have got it.
// It depends on Kafka only, so it holds between processes that do not share a ClickHouse (the
// embedded engine is one folder per process).
import { hostname } from 'node:os';
import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Gauge } from 'prom-client';
import { createMissingTopics } from '@tollgate/platform';
import { LeaseLostError, type RunFence } from './fence.ts';
import { leaseAssigner } from './lease-assigner.ts';
import { decodeRecord, encodeRecord, RunLog, type RunLogState } from './run-log.ts';

export interface RunLeaseSettings {
  topic: string;
  groupId: string;
  /** The consumer group session timeout: how long a crashed holder keeps the lease. */
  timeoutMs: number;
  /** KAFKA_REPLICATION_FACTOR; undefined: the cluster's default. */
  replicationFactor?: number | undefined;
}

/** A scheduled period's work; `resume` when an earlier holder began it. Returns the run's id. */
export type LeasedWork<R extends { run_id: string }> = (period: string, resume: boolean, fence: RunFence) => Promise<R>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class KafkaRunLease<R extends { run_id: string }> {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly admin: Admin;
  private readonly runLog = new RunLog();
  /** Periods whose schedule fired here and that this replica has not seen finished. */
  private readonly pending = new Set<string>();
  private readonly holder = `${hostname()}:${process.pid}`;
  private held = false;
  /** Counts the spans during which this replica held the partition without interruption. */
  private epoch = 0;
  /** When the coordinator last confirmed this member (join or heartbeat). */
  private aliveAt = 0;
  /** The next offset of the log to read. */
  private readTo = 0n;
  private chain: Promise<Map<string, R | undefined>> = Promise.resolve(new Map<string, R | undefined>());
  private closing = false;

  constructor(
    kafka: Kafka,
    private readonly settings: RunLeaseSettings,
    private readonly work: LeasedWork<R>,
    private readonly log: Logger,
    private readonly heldGauge: Gauge,
  ) {
    const heartbeatMs = Math.max(100, Math.floor(settings.timeoutMs / 10));
    this.admin = kafka.admin();
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.consumer = kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: settings.timeoutMs,
      rebalanceTimeout: settings.timeoutMs,
      heartbeatInterval: heartbeatMs,
      maxWaitTimeInMs: heartbeatMs,
      // A member claims the partition only while the coordinator heard from it within the timeout:
      // one paused long enough to be evicted rejoins without a claim, so the replica that took
      // over keeps the lease instead of handing it back to a holder that has not heard of it.
      partitionAssigners: [leaseAssigner(settings.topic, () => this.held && Date.now() - this.aliveAt < settings.timeoutMs)],
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      const holds = (event.payload.memberAssignment[settings.topic] ?? []).includes(0);
      if (holds && !this.held) this.epoch += 1;
      this.setHeld(holds);
      this.aliveAt = Date.now();
      if (holds) {
        this.log.info({ topic: settings.topic }, 'this replica holds the billing run lease');
        void this.drain();
      }
    });
    this.consumer.on(this.consumer.events.HEARTBEAT, () => (this.aliveAt = Date.now()));
    this.consumer.on(this.consumer.events.CRASH, () => this.setHeld(false));
    this.consumer.on(this.consumer.events.STOP, () => this.setHeld(false));
  }

  get holds(): boolean {
    return this.held;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    // One partition: one holder. Compacted by period, so the log stays one record per period.
    await createMissingTopics(this.admin, [{ topic: this.settings.topic, partitions: 1, config: { 'cleanup.policy': 'compact' } }], this.settings.replicationFactor);
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.settings.topic, fromBeginning: true });
    // Offsets are never committed: each new holder reads the whole (compacted) log.
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        const record = decodeRecord(message.value);
        if (record) this.runLog.apply(record);
        this.readTo = BigInt(message.offset) + 1n;
      },
    });
  }

  /**
   * The schedule fired for `period`. The holder runs it (or resumes it, or finds it done) and
   * answers its result; another replica answers undefined and keeps the period in mind.
   */
  async schedule(period: string): Promise<R | undefined> {
    this.pending.add(period);
    if (!this.held) {
      this.log.info({ period }, 'another replica holds the billing run lease: it runs the period (this one takes over if that one fails)');
      return undefined;
    }
    return (await this.drain()).get(period);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.chain.catch(() => undefined);
    // Leaving the group hands the partition to another replica at once, without the timeout.
    await this.consumer.disconnect();
    this.setHeld(false);
    await this.producer.disconnect();
    await this.admin.disconnect();
  }

  private setHeld(holds: boolean): void {
    this.held = holds;
    this.heldGauge.set(holds ? 1 : 0);
  }

  private fence(epoch: number): void {
    if (!this.held || this.epoch !== epoch) throw new LeaseLostError('the lease partition went to another replica');
    const silent = Date.now() - this.aliveAt;
    if (silent > this.settings.timeoutMs / 2) throw new LeaseLostError(`no heartbeat acknowledged for ${silent} ms`);
  }

  private drain(): Promise<Map<string, R | undefined>> {
    this.chain = this.chain.catch(() => new Map<string, R | undefined>()).then(() => this.drainOnce());
    return this.chain;
  }

  /** Runs, in period order, every period begun and unfinished in the log and every one scheduled here. */
  private async drainOnce(): Promise<Map<string, R | undefined>> {
    const results = new Map<string, R | undefined>();
    if (!this.held || this.closing) return results;
    const epoch = this.epoch;
    const fence: RunFence = () => this.fence(epoch);
    try {
      await this.readWholeLog(fence);
      for (const period of [...new Set([...this.runLog.unfinished(), ...this.pending])].sort()) {
        fence();
        const decision = this.runLog.decide(period);
        this.pending.delete(period);
        if (decision === 'done') {
          this.log.info({ period }, 'billing period already run by a lease holder: nothing to do');
          results.set(period, undefined);
          continue;
        }
        if (decision === 'resume') this.log.warn({ period }, 'billing period begun by an earlier lease holder and not finished: resuming it');
        await this.record(period, 'started', '');
        const result = await this.work(period, decision === 'resume', fence);
        fence();
        await this.record(period, 'finished', result.run_id);
        results.set(period, result);
      }
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.log.warn({ err: error }, 'billing run stopped: the lease is held elsewhere now, which resumes it');
        // Silent for more than half the timeout but not evicted, this replica still holds the
        // partition once its heartbeats are answered again: it then resumes the period itself.
        if (!this.closing) setTimeout(() => void this.drain(), this.settings.timeoutMs).unref();
      } else this.log.error({ err: error }, 'scheduled billing run failed; the period stays begun, and the next holder or schedule resumes it');
    }
    return results;
  }

  /** Reads the log up to its end as it stands now, so decisions see every record written before. */
  private async readWholeLog(fence: RunFence): Promise<void> {
    const [partition] = await this.admin.fetchTopicOffsets(this.settings.topic);
    const end = BigInt(partition?.high ?? '0');
    const deadline = Date.now() + this.settings.timeoutMs;
    while (this.readTo < end) {
      fence();
      if (Date.now() > deadline) throw new Error(`the billing run log was not read to offset ${end} within ${this.settings.timeoutMs} ms`);
      await sleep(20);
    }
  }

  private async record(period: string, state: RunLogState, runId: string): Promise<void> {
    const record = { period, state, run_id: runId, holder: this.holder, at: new Date().toISOString() };
    await this.producer.send({ topic: this.settings.topic, acks: -1, messages: [encodeRecord(record)] });
    this.runLog.apply(record);
  }
}
