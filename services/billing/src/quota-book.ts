// Quota decisions for gateways, answered from memory: usage of the current period per consumer,
// refreshed from the hourly rollup on a short interval, and each consumer's plan from the registry.
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { clickHouseTime, every } from '@tollgate/platform';
import { periodOf, quotaState, type Period, type Plan, type PlanCatalog, type QuotaState, type StatusClass } from '@tollgate/pricing';
import { readConsumers, type ConsumerRecord } from '@tollgate/registry';

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

export class QuotaBook {
  private used = new Map<string, Map<StatusClass, bigint>>();
  private consumers = new Map<string, ConsumerRecord>();
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

  async refresh(now = new Date()): Promise<void> {
    const period = periodOf(now);
    const [rows, consumers] = await Promise.all([
      this.client
        .query({
          query: `SELECT consumer_id, status_class, sum(billable_calls) AS calls
                  FROM ${this.database}.usage_hour
                  WHERE bucket >= {from:DateTime('UTC')} AND bucket < {to:DateTime('UTC')} AND consumer_id != ''
                  GROUP BY consumer_id, status_class`,
          query_params: { from: clickHouseTime(period.start).slice(0, 19), to: clickHouseTime(period.end).slice(0, 19) },
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
        })
        .then((r) => r.json<{ consumer_id: string; status_class: StatusClass; calls: string }>()),
      readConsumers(this.client, this.database),
    ]);
    const used = new Map<string, Map<StatusClass, bigint>>();
    for (const row of rows) {
      const byClass = used.get(row.consumer_id) ?? new Map<StatusClass, bigint>();
      byClass.set(row.status_class, BigInt(row.calls));
      used.set(row.consumer_id, byClass);
    }
    this.used = used;
    this.consumers = new Map(consumers.map((c) => [c.consumer_id, c]));
    this.period = period;
    this.loadedAt = Date.now();
    for (const listener of this.refreshed) await listener(now).catch((error: unknown) => this.log.warn({ err: error }, 'a quota refresh listener failed'));
  }

  /** The consumers of the registry, as of the latest refresh. */
  consumerIds(): string[] {
    return [...this.consumers.keys()];
  }

  startRefreshing(intervalMs: number): void {
    this.stop = every(intervalMs, () => this.refresh(), (error) => this.log.warn({ err: error }, 'quota refresh failed; answering from the previous copy'));
  }

  stop: () => void = () => undefined;

  /** Billable requests (by the plan's billable statuses) this period. */
  private usedBy(consumer: string, plan: Plan): bigint {
    let total = 0n;
    for (const [statusClass, calls] of this.used.get(consumer) ?? []) if (plan.billableStatuses.has(statusClass)) total += calls;
    return total;
  }

  check(consumerId: string): QuotaAnswer {
    const consumer = this.consumers.get(consumerId);
    const plan = consumer ? this.plans.plans.get(consumer.plan_id) : undefined;
    return {
      consumer: consumerId,
      plan: plan?.id ?? '',
      period_end: this.period.end.toISOString(),
      known: plan !== undefined,
      used: plan ? Number(this.usedBy(consumerId, plan)) : 0,
      state: plan ? quotaState(plan, this.usedBy(consumerId, plan)) : null,
    };
  }
}
