// The demo must show money on the first `npm start` of any day of the month: the traffic it feeds,
// read back through the tap's parsers and priced by the pricing package as billing prices it, gives
// the current month revenue and revenue lost, and a hard quota reached — at 00:05 on the 1st as on
// the last evening. Pure: the instants are injected.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isRefusedByPolicy, type ApiRequestEvent, type StatusClass } from '@tollgate/schemas';
import { DEFAULT_PLANS_FILE, loadPlansFile, monthToDate, periodOf, quotaUnits, type PlanCatalog, type UsageRow } from '@tollgate/pricing';
import { formats, type MapContext } from '@tollgate/tap';
import { DEMO_BACKGROUND, DEMO_CONSUMERS, MONTH_STORY, demoTraffic } from '../src/demo-traffic.ts';

function parsedEvents(now: Date, plans: PlanCatalog): ApiRequestEvent[] {
  let next = 0;
  const ctx: MapContext = {
    receivedAt: now,
    newId: () => `gen-${++next}`,
    hmac: (secret) => createHmac('sha256', 'test-key').update(secret).digest('hex'),
    secretQueryParams: new Set(['apikey']),
  };
  const events: ApiRequestEvent[] = [];
  for (const batch of demoTraffic({ now, ...DEMO_BACKGROUND, plans })) {
    const format = formats[batch.format];
    const split = format.split(batch.body, batch.contentType);
    if (!split.ok) throw new Error(split.reason);
    for (const record of split.records) {
      const mapped = format.map(record, ctx);
      if (!mapped.ok) throw new Error(mapped.reason);
      events.push(mapped.event);
    }
  }
  return events;
}

interface MonthFigures {
  revenue: Map<string, bigint>;
  lost: Map<string, bigint>;
  refused: Map<string, number>;
  /** Per consumer: billable calls of the month (what quotas and included units count). */
  billable: Map<string, bigint>;
}

/** The current month as billing sees it: refused calls left out (as the rollups do), each consumer's usage priced under its plan. */
function currentMonth(events: readonly ApiRequestEvent[], now: Date, plans: PlanCatalog): MonthFigures {
  const start = periodOf(now).start.getTime();
  const rows = new Map<string, Map<string, UsageRow>>();
  const refused = new Map<string, number>();
  for (const e of events) {
    const at = Date.parse(e.timestamp);
    expect(at).toBeLessThanOrEqual(now.getTime());
    const consumer = e.consumer?.id;
    if (at < start || consumer === undefined) continue;
    if (isRefusedByPolicy(e.decision)) {
      refused.set(consumer, (refused.get(consumer) ?? 0) + 1);
      continue;
    }
    const statusClass = `${Math.floor(e.status / 100)}xx` as StatusClass;
    const api = e.api ?? '';
    const key = `${api}/${e.method}/${statusClass}`;
    const own = rows.get(consumer) ?? new Map<string, UsageRow>();
    rows.set(consumer, own);
    const row = own.get(key) ?? { api, method: e.method, statusClass, requests: 0n, requestBytes: 0n, responseBytes: 0n };
    own.set(key, { ...row, requests: BigInt(row.requests) + 1n, requestBytes: BigInt(row.requestBytes) + BigInt(e.request_bytes ?? 0), responseBytes: BigInt(row.responseBytes) + BigInt(e.response_bytes ?? 0) });
  }
  const figures: MonthFigures = { revenue: new Map(), lost: new Map(), refused, billable: new Map() };
  for (const consumer of DEMO_CONSUMERS) {
    const usage = [...(rows.get(consumer.id)?.values() ?? [])];
    const plan = plans.plans.get(consumer.plan);
    if (plan === undefined) throw new Error(`no plan ${consumer.plan}`);
    figures.billable.set(consumer.id, quotaUnits(plan, usage));
    const { priced } = monthToDate(consumer.plan, [{ planId: consumer.plan, rows: usage, lastCallAt: now.getTime() }], plans);
    if (priced === undefined) continue;
    figures.revenue.set(priced.currency, (figures.revenue.get(priced.currency) ?? 0n) + priced.totalMinor);
    figures.lost.set(priced.currency, (figures.lost.get(priced.currency) ?? 0n) + priced.lostRevenueMinor);
  }
  return figures;
}

describe('the demo shows money for the current month on any day', () => {
  // The first minutes of a month, the middle of one, the last minute of the shortest.
  const instants = ['2026-03-01T00:05:00.000Z', '2026-03-16T13:20:00.000Z', '2027-02-28T23:59:00.000Z'];

  it.each(instants)('at %s: revenue and revenue lost in EUR and JPY, the story consumers past their limits, a hard quota refusing', async (instant) => {
    const now = new Date(instant);
    const plans = await loadPlansFile(DEFAULT_PLANS_FILE);
    const month = currentMonth(parsedEvents(now, plans), now, plans);
    console.log(
      `${instant}: revenue ${[...month.revenue].map(([c, v]) => `${c} ${v}`).join(', ')}; lost ${[...month.lost].map(([c, v]) => `${c} ${v}`).join(', ')}; refused ${[...month.refused].map(([c, v]) => `${c} ${v}`).join(', ')}`,
    );
    for (const currency of ['EUR', 'JPY']) {
      expect(month.revenue.get(currency) ?? 0n, currency).toBeGreaterThan(0n);
      expect(month.lost.get(currency) ?? 0n, currency).toBeGreaterThan(0n);
    }
    for (const { consumer, past } of MONTH_STORY) {
      const plan = plans.plans.get(DEMO_CONSUMERS.find((c) => c.id === consumer)?.plan ?? '');
      const billable = month.billable.get(consumer) ?? 0n;
      console.log(`${consumer}: ${billable} billable calls this month`);
      if (past === 'included_units') {
        expect(billable, consumer).toBeGreaterThan(BigInt(plan?.meters[0]?.includedUnits ?? Infinity));
      } else {
        // Refused beyond the quota, never billed past it.
        expect(billable, consumer).toBe(BigInt(plan?.quota?.limit ?? -1));
        expect(month.refused.get(consumer) ?? 0, consumer).toBeGreaterThan(0);
      }
    }
  });

  it('leaves the set without the plans as it was: no story, no decisions', () => {
    const now = new Date(instants[1] ?? '');
    const batches = demoTraffic({ now, days: 1, events: 2_000 });
    expect(batches.reduce((sum, b) => sum + b.records, 0)).toBe(2_000);
    expect(batches.some((b) => b.body.includes('decision'))).toBe(false);
  });
});
