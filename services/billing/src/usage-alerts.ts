// Usage alerts (plans file `alerts:`) and quota exhaustion, evaluated each time the quota book
// refreshes its view of the period's usage. A crossing is emitted as a webhook event whose dedup
// key is (consumer, period, alert): the outbox keeps it once, so however many refreshes see the
// threshold passed, and across restarts, each crossing raises one event.
//
// Quota alerts use the quota book's counts (no extra query). Included-units and spend alerts need
// usage per meter and price, which only the usage table holds exactly (the hourly rollup has no
// method); it is read at most every `meterUsageRefreshMs`, and only when some plan in use has such
// an alert.
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { alertThreshold, assignPlans, meterUsage, periodOf, priceAssignment, type Plan, type PlanCatalog, type StampedUsage, type UsageAlert } from '@tollgate/pricing';
import type { QuotaBook } from './quota-book.ts';
import { usageForPeriod, type UsageByConsumer } from './usage-query.ts';
import type { EmitRequest, WebhookEmitter } from './webhooks/events.ts';

/** What one consumer's alerts are measured against, in each alert's unit. */
export interface AlertMeasures {
  /** Billable requests this period (the quota's count). */
  quotaUsed: bigint;
  /** Meter id → billable units under the current plan; undefined when not read (no such alert). */
  meterUnits?: ReadonlyMap<string, bigint>;
  /** The period's invoice so far in the plan's currency, base fee included; undefined when not read. */
  spendMinor?: bigint;
}

export interface AlertCrossing {
  alert: UsageAlert;
  threshold: bigint;
  value: bigint;
}

/** The plan's alerts whose threshold `measures` has reached. Pure: the unit tests' subject. */
export function alertCrossings(plan: Plan, measures: AlertMeasures): AlertCrossing[] {
  const crossings: AlertCrossing[] = [];
  for (const alert of plan.alerts ?? []) {
    const threshold = alertThreshold(plan, alert);
    const value = alert.of === 'quota' ? measures.quotaUsed : alert.of === 'spend' ? measures.spendMinor : measures.meterUnits?.get(alert.meterId);
    if (threshold !== null && value !== undefined && value >= threshold) crossings.push({ alert, threshold, value });
  }
  return crossings;
}

/** Whether the plan's quota is used up: every call counted, soft or hard. */
export function quotaExhausted(plan: Plan, quotaUsed: bigint): boolean {
  return plan.quota !== undefined && quotaUsed >= BigInt(plan.quota.limit);
}

const needsUsage = (plan: Plan): boolean => (plan.alerts ?? []).some((a) => a.of !== 'quota');

export interface UsageAlertsOptions {
  client: ClickHouseClient;
  database: string;
  plans: PlanCatalog;
  emitter: WebhookEmitter;
  log: Logger;
  /** How often usage per meter is re-read for included-units and spend alerts (ms). */
  meterUsageRefreshMs: number;
}

export class UsageAlerts {
  /** The latest usage read for meter alerts, and the measures priced from it (kept until the next read). */
  private usage: { period: string; readAt: number; byConsumer: UsageByConsumer; measures: Map<string, Pick<AlertMeasures, 'meterUnits' | 'spendMinor'>> } | undefined;
  /** Crossings of `settledPeriod` the outbox holds already: not handed to it again on every refresh. */
  private settled = new Set<string>();
  private settledPeriod = '';

  constructor(private readonly o: UsageAlertsOptions) {}

  /** Evaluates every consumer the quota book knows, as of `now`. Returns the events newly emitted. */
  async evaluate(quota: Pick<QuotaBook, 'check' | 'consumerIds'>, now: Date): Promise<number> {
    const period = periodOf(now);
    if (period.name !== this.settledPeriod) {
      this.settled = new Set();
      this.settledPeriod = period.name;
    }
    const consumers = quota
      .consumerIds()
      .map((id) => ({ answer: quota.check(id), id }))
      .flatMap(({ answer, id }) => {
        const plan = this.o.plans.plans.get(answer.plan);
        return plan && (plan.alerts?.length || plan.quota) ? [{ id, plan, used: BigInt(answer.used) }] : [];
      });
    const usage = consumers.some((c) => needsUsage(c.plan)) ? await this.meterUsage(period.name, now) : undefined;
    const fromUsage = (id: string, plan: Plan): Pick<AlertMeasures, 'meterUnits' | 'spendMinor'> => {
      if (!usage || !needsUsage(plan)) return {};
      const key = `${id}\n${plan.id}`;
      const measured = usage.measures.get(key) ?? this.measuresFromUsage(plan, usage.byConsumer.get(id) ?? []);
      usage.measures.set(key, measured);
      return measured;
    };

    const requests: EmitRequest[] = [];
    for (const { id, plan, used } of consumers) {
      const measures: AlertMeasures = { quotaUsed: used, ...fromUsage(id, plan) };
      for (const { alert, threshold, value } of alertCrossings(plan, measures)) {
        const dedupKey = `${id}:${period.name}:${alert.key}`;
        if (this.settled.has(`usage.threshold_reached ${dedupKey}`)) continue;
        requests.push({
          type: 'usage.threshold_reached',
          data: {
            consumer_id: id,
            plan_id: plan.id,
            period: period.name,
            alert: { of: alert.of, at: alert.at, ...(alert.of === 'included_units' ? { meter: alert.meterId } : {}) },
            threshold: Number(threshold),
            value: Number(value),
            ...(alert.of === 'spend' ? { currency: plan.currency } : {}),
          },
          dedupKey,
        });
      }
      if (plan.quota && quotaExhausted(plan, used) && !this.settled.has(`quota.exhausted ${id}:${period.name}`)) {
        requests.push({ type: 'quota.exhausted', data: { consumer_id: id, plan_id: plan.id, period: period.name, limit: plan.quota.limit, used: Number(used), hard: plan.quota.kind === 'hard' }, dedupKey: `${id}:${period.name}` });
      }
    }
    // One batch: a refresh that sees thousands of crossings (the first after a deploy) is one write.
    const results = requests.length > 0 ? await this.o.emitter.emitAll(requests) : [];
    for (const r of requests) this.settled.add(`${r.type} ${r.dedupKey}`);
    return results.filter((r) => r.emitted).length;
  }

  private measuresFromUsage(plan: Plan, stamped: readonly StampedUsage[]): Pick<AlertMeasures, 'meterUnits' | 'spendMinor'> {
    const assignment = assignPlans(plan.id, stamped, this.o.plans);
    const rows = assignment.groups.find((g) => g.plan.id === plan.id)?.rows ?? [];
    const meterUnits = new Map(plan.meters.map((m) => [m.id, [...meterUsage(plan, m, rows).billable.values()].reduce((a, b) => a + b, 0n)]));
    const draft = priceAssignment(assignment);
    return { meterUnits, ...(draft && draft.currency === plan.currency ? { spendMinor: draft.totalMinor } : {}) };
  }

  private async meterUsage(period: string, now: Date): Promise<NonNullable<UsageAlerts['usage']>> {
    const cached = this.usage;
    if (cached && cached.period === period && now.getTime() - cached.readAt < this.o.meterUsageRefreshMs) return cached;
    const byConsumer = await usageForPeriod(this.o.client, this.o.database, periodOf(now));
    this.usage = { period, readAt: now.getTime(), byConsumer, measures: new Map() };
    return this.usage;
  }
}
