// What gateway decisions read, held in memory: usage of the current period per consumer (refreshed
// from the hourly rollup every QUOTA_REFRESH_MS), each consumer's registry record (plan, status,
// blocked APIs) and the owners of live API keys (by credential HMAC). The admin API changes the
// copy at once in this process (setConsumer, addKey…); other processes see a change at their next
// refresh. Calls allowed since the last read are counted on top (policy/pending-calls.ts), so a
// hard quota holds to the call rather than to the refresh interval.
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { clickHouseTime, every } from '@tollgate/platform';
import { periodOf, quotaState, type Period, type Plan, type PlanCatalog, type QuotaState, type StatusClass } from '@tollgate/pricing';
import { readApiKeyOwners, readConsumers, type ConsumerRecord } from '@tollgate/registry';
import { PendingCalls, usageWithPending } from './policy/pending-calls.ts';

export interface QuotaAnswer {
  consumer: string;
  plan: string;
  period_end: string;
  known: boolean;
  /** Billable requests this period so far. */
  used: number;
  /** null when the plan has no quota. */
  state: QuotaState | null;
}

type UsageByClass = Map<string, Map<StatusClass, bigint>>;

const ch = (d: Date): string => clickHouseTime(d).slice(0, 19);

export class QuotaBook {
  private used: UsageByClass = new Map();
  /** Usage since `pending`'s window start, of the consumers that had calls counted there. */
  private usedSinceWindow: UsageByClass = new Map();
  private consumers = new Map<string, ConsumerRecord>();
  private keyOwners = new Map<string, string>();
  private readonly pending = new PendingCalls();
  /**
   * Admin changes made here while a refresh reads: its copy may predate them, so they are applied
   * again on top of it (a suspension must not come undone for one refresh interval).
   */
  private readonly refreshesRunning = new Set<Array<() => void>>();
  /** Refreshes started and the latest one installed: an older read finishing last is dropped. */
  private refreshesStarted = 0;
  private refreshInstalled = 0;
  private period: Period = periodOf(new Date());
  loadedAt = 0;
  /** Run after each refresh with its `now` (usage alerts, usage-alerts.ts); a failure is logged, the refresh stands. */
  readonly refreshed: Array<(now: Date) => Promise<unknown>> = [];

  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
    private readonly plans: PlanCatalog,
    private readonly log: Logger,
  ) {}

  private async usage(from: Date, to: Date, table: 'usage_hour' | 'usage_minute', consumers?: string[]): Promise<UsageByClass> {
    const rows = await this.client
      .query({
        query: `SELECT consumer_id, status_class, sum(billable_calls) AS calls
                FROM ${this.database}.${table}
                WHERE bucket >= {from:DateTime('UTC')} AND bucket < {to:DateTime('UTC')} AND consumer_id != ''
                      ${consumers ? 'AND consumer_id IN {consumers:Array(String)}' : ''}
                GROUP BY consumer_id, status_class`,
        query_params: { from: ch(from), to: ch(to), consumers: consumers ?? [] },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
      })
      .then((r) => r.json<{ consumer_id: string; status_class: StatusClass; calls: string }>());
    const used: UsageByClass = new Map();
    for (const row of rows) {
      const byClass = used.get(row.consumer_id) ?? new Map<StatusClass, bigint>();
      byClass.set(row.status_class, BigInt(row.calls));
      used.set(row.consumer_id, byClass);
    }
    return used;
  }

  async refresh(now = new Date()): Promise<void> {
    const period = periodOf(now);
    // Taken before the reads: calls allowed while they run stay counted (they are at or after it).
    const windowStart = PendingCalls.windowStart(now.getTime(), period.start.getTime());
    const withPending = this.pending.consumers();
    const changes: Array<() => void> = [];
    const sequence = ++this.refreshesStarted;
    this.refreshesRunning.add(changes);
    const [used, usedSinceWindow, consumers, keyOwners] = await Promise.all([
      this.usage(period.start, period.end, 'usage_hour'),
      withPending.length > 0 ? this.usage(new Date(windowStart), period.end, 'usage_minute', withPending) : Promise.resolve<UsageByClass>(new Map()),
      readConsumers(this.client, this.database),
      readApiKeyOwners(this.client, this.database),
    ]).finally(() => this.refreshesRunning.delete(changes));
    if (sequence < this.refreshInstalled) return;
    this.refreshInstalled = sequence;
    this.used = used;
    this.usedSinceWindow = usedSinceWindow;
    this.pending.rebase(windowStart);
    this.consumers = new Map(consumers.map((c) => [c.consumer_id, c]));
    this.keyOwners = keyOwners;
    for (const change of changes) change();
    this.period = period;
    this.loadedAt = Date.now();
    for (const listener of this.refreshed) await listener(now).catch((error: unknown) => this.log.warn({ err: error }, 'a quota refresh listener failed'));
  }

  /** The consumers of the registry, as of the latest refresh. */
  consumerIds(): string[] {
    return [...this.consumers.keys()];
  }

  private change(apply: () => void): void {
    apply();
    for (const changes of this.refreshesRunning) changes.push(apply);
  }

  startRefreshing(intervalMs: number): void {
    this.stop = every(intervalMs, () => this.refresh(), (error) => this.log.warn({ err: error }, 'quota refresh failed; answering from the previous copy'));
  }

  stop: () => void = () => undefined;

  get currentPeriod(): Period {
    return this.period;
  }

  consumer(consumerId: string): ConsumerRecord | undefined {
    return this.consumers.get(consumerId);
  }

  plan(record: ConsumerRecord | undefined): Plan | undefined {
    return record ? this.plans.plans.get(record.plan_id) : undefined;
  }

  /** The consumer a live API key belongs to, by the key's credential HMAC. */
  keyOwner(keyHmac: string): string | undefined {
    return this.keyOwners.get(keyHmac);
  }

  /** True once any live API key exists: then keys identify callers (see BILLING_UNKNOWN_CONSUMER). */
  get keysConfigured(): boolean {
    return this.keyOwners.size > 0;
  }

  /** An admin change, effective in this process now (others: at their next refresh). */
  setConsumer(record: ConsumerRecord): void {
    this.change(() => this.consumers.set(record.consumer_id, record));
  }

  removeConsumer(consumerId: string): void {
    this.change(() => this.consumers.delete(consumerId));
  }

  addKey(keyHmac: string, consumerId: string): void {
    this.change(() => this.keyOwners.set(keyHmac, consumerId));
  }

  removeKey(keyHmac: string): void {
    this.change(() => this.keyOwners.delete(keyHmac));
  }

  /** A call allowed here that a hard quota counts: billed usage the rollup does not hold yet. */
  recordAllowed(consumerId: string, now: number): void {
    this.pending.record(consumerId, now);
  }

  private billable(usage: UsageByClass, consumer: string, plan: Plan): bigint {
    let total = 0n;
    for (const [statusClass, calls] of usage.get(consumer) ?? []) if (plan.billableStatuses.has(statusClass)) total += calls;
    return total;
  }

  /** Billable requests (by the plan's billable statuses) this period, with the calls allowed here that the last read did not hold. */
  private usedBy(consumer: string, plan: Plan): bigint {
    return usageWithPending(this.billable(this.used, consumer, plan), this.pending.since(consumer), this.billable(this.usedSinceWindow, consumer, plan));
  }

  /** The consumer's quota now; undefined when its plan has none. */
  quotaOf(consumerId: string, plan: Plan): QuotaState | undefined {
    return plan.quota ? (quotaState(plan, this.usedBy(consumerId, plan)) ?? undefined) : undefined;
  }

  check(consumerId: string): QuotaAnswer {
    const plan = this.plan(this.consumers.get(consumerId));
    const used = plan ? this.usedBy(consumerId, plan) : 0n;
    return {
      consumer: consumerId,
      plan: plan?.id ?? '',
      period_end: this.period.end.toISOString(),
      known: plan !== undefined,
      used: Number(used),
      state: plan ? quotaState(plan, used) : null,
    };
  }
}
