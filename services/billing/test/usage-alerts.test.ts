import type { ClickHouseClient } from '@clickhouse/client';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parsePlansFile, type Plan, type PlanCatalog } from '@tollgate/pricing';
import { alertCrossings, quotaExhausted, UsageAlerts } from '../src/usage-alerts.ts';
import { eventId, type EmitRequest, type EmitResult, type WebhookEmitter, type WebhookEventData, type WebhookEventType } from '../src/webhooks/events.ts';

const catalog: PlanCatalog = parsePlansFile(
  `
version: 1
plans:
  soft:
    name: Soft
    currency: EUR
    base_fee: "10.00"
    quota: { limit: 1000, kind: soft }
    meters:
      - { id: calls, description: Calls, unit: requests, included_units: 500, price: { model: per_unit, unit_price: "0.01" } }
    alerts:
      - { at: "50%", of: quota }
      - { at: "100%", of: quota }
      - { at: "80%", of: included_units }
      - { at: "15.00", of: spend }
  hard:
    name: Hard
    currency: EUR
    quota: { limit: 10, kind: hard }
    meters: []
`,
  'yaml',
);
const soft = catalog.plans.get('soft')!;
const hard = catalog.plans.get('hard')!;

describe('alert crossings', () => {
  it('fire at and past their threshold, never before', () => {
    const keys = (quotaUsed: bigint, calls?: bigint, spendMinor?: bigint) =>
      alertCrossings(soft, { quotaUsed, ...(calls === undefined ? {} : { meterUnits: new Map([['calls', calls]]) }), ...(spendMinor === undefined ? {} : { spendMinor }) }).map((c) => c.alert.key);
    expect(keys(499n)).toEqual([]);
    expect(keys(500n)).toEqual(['quota:50%']);
    expect(keys(1000n)).toEqual(['quota:50%', 'quota:100%']);
    expect(keys(0n, 399n)).toEqual([]);
    expect(keys(0n, 400n)).toEqual(['included_units:calls:80%']);
    expect(keys(0n, undefined, 1499n)).toEqual([]);
    expect(keys(0n, undefined, 1500n)).toEqual(['spend:15.00']);
  });

  it('report the threshold and the value in the alert’s unit', () => {
    expect(alertCrossings(soft, { quotaUsed: 10n, meterUnits: new Map([['calls', 450n]]), spendMinor: 2000n })).toEqual([
      { alert: soft.alerts![2], threshold: 400n, value: 450n },
      { alert: soft.alerts![3], threshold: 1500n, value: 2000n },
    ]);
  });

  it('say when a quota is used up, soft or hard', () => {
    expect(quotaExhausted(hard, 9n)).toBe(false);
    expect(quotaExhausted(hard, 10n)).toBe(true);
    expect(quotaExhausted(soft, 1001n)).toBe(true);
    const { quota: _quota, ...unlimited } = soft;
    expect(quotaExhausted(unlimited as Plan, 10n ** 12n)).toBe(false);
  });
});

/** An emitter that keeps each dedup key once, like the outbox. */
class RecordingEmitter implements WebhookEmitter {
  readonly events: Array<{ type: WebhookEventType; data: unknown; key: string }> = [];
  private readonly ids = new Set<string>();
  emit<T extends WebhookEventType>(type: T, data: WebhookEventData[T], dedupKey: string): Promise<EmitResult> {
    const id = eventId(type, dedupKey);
    const emitted = !this.ids.has(id);
    this.ids.add(id);
    if (emitted) this.events.push({ type, data, key: dedupKey });
    return Promise.resolve({ id, emitted });
  }
  async emitAll(requests: readonly EmitRequest[]): Promise<EmitResult[]> {
    const results: EmitResult[] = [];
    for (const r of requests) results.push(await this.emit(r.type, r.data, r.dedupKey));
    return results;
  }
}

describe('the evaluator', () => {
  const quotaOnly: PlanCatalog = { version: 1, plans: new Map([['soft', { ...soft, alerts: soft.alerts!.filter((a) => a.of === 'quota') }], ['hard', hard]]) };
  const book = (used: Record<string, [plan: string, used: number]>) => ({
    consumerIds: () => Object.keys(used),
    check: (id: string) => ({ consumer: id, plan: used[id]![0], period_end: '', known: true, used: used[id]![1], state: null }),
  });
  const evaluator = (emitter: WebhookEmitter) =>
    new UsageAlerts({ client: undefined as unknown as ClickHouseClient, database: 'unused', plans: quotaOnly, emitter, log: pino({ level: 'silent' }), meterUsageRefreshMs: 0 });

  it('emits each crossing once per consumer and period, however often it is evaluated', async () => {
    const emitter = new RecordingEmitter();
    const alerts = evaluator(emitter);
    const november = new Date('2030-11-20T10:00:00Z');
    expect(await alerts.evaluate(book({ a: ['soft', 400], b: ['hard', 3] }), november)).toBe(0);
    expect(await alerts.evaluate(book({ a: ['soft', 600], b: ['hard', 3] }), november)).toBe(1);
    expect(await alerts.evaluate(book({ a: ['soft', 700], b: ['hard', 10] }), november)).toBe(1);
    expect(await alerts.evaluate(book({ a: ['soft', 1200], b: ['hard', 11] }), november)).toBe(2);
    expect(await alerts.evaluate(book({ a: ['soft', 1300], b: ['hard', 12] }), november)).toBe(0);
    expect(emitter.events.map((e) => [e.type, e.key])).toEqual([
      ['usage.threshold_reached', 'a:2030-11:quota:50%'],
      ['quota.exhausted', 'b:2030-11'],
      ['usage.threshold_reached', 'a:2030-11:quota:100%'],
      ['quota.exhausted', 'a:2030-11'],
    ]);
    expect(emitter.events[0]!.data).toEqual({ consumer_id: 'a', plan_id: 'soft', period: '2030-11', alert: { of: 'quota', at: '50%' }, threshold: 500, value: 600 });
    expect(emitter.events[1]!.data).toEqual({ consumer_id: 'b', plan_id: 'hard', period: '2030-11', limit: 10, used: 10, hard: true });
    // A new period is a new crossing.
    expect(await alerts.evaluate(book({ a: ['soft', 600], b: ['hard', 0] }), new Date('2030-12-01T00:00:00Z'))).toBe(1);
    expect(emitter.events.at(-1)!.key).toBe('a:2030-12:quota:50%');
  });

  it('skips consumers whose plan is unknown', async () => {
    const emitter = new RecordingEmitter();
    expect(await evaluator(emitter).evaluate(book({ x: ['gone', 10_000] }), new Date('2030-11-20T10:00:00Z'))).toBe(0);
  });
});
