// Late usage: events of a period that reach ClickHouse after the period was invoiced. Under a plan
// with `late_usage: next_invoice` (the default), a run of a later period puts, per earlier closed
// period with late events, one adjustment line on the customer's invoice:
//   price(all usage of that period now) − what was billed for it so far (its invoice + adjustments).
// Negative when the late usage lowers the price (volume tiers): a credit line.
//
// Why it can never bill an event twice: the amount is always "now minus everything billed", so two
// adjustments for the same events add up to one; and each adjustment is an ordinary invoice line of
// the run's period in the ledger (billing_lines, key late:<period>:<n>, adjusts_period set), written
// before Stripe hears of it and billed once through the same snapshot and idempotency keys as every
// other line (run.ts), so a run killed mid-way resumes the same adjustment instead of adding one.
import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseTime, groupBy } from '@tollgate/platform';
import { assignPlans, DEFAULT_LATE_USAGE, parsePeriod, priceAssignment, type LateUsagePolicy, type Period, type PlanCatalog } from '@tollgate/pricing';
import type { InvoiceRecord, Ledger, LineRecord } from './ledger.ts';
import { requestsOf, usageForPeriod, type UsageByConsumer } from './usage-query.ts';

/** The meter name of adjustment lines in the ledger and in Stripe metadata (tollgate_meter). */
export const LATE_USAGE_METER = 'late_usage';

/**
 * Events ingested this long before the run that priced a period still count as candidates: covers
 * clock skew between ClickHouse (ingested_at) and the billing process (run start), and events
 * in flight while that run read usage. A candidate only costs one exact count; it bills nothing.
 */
const CANDIDATE_MARGIN_MS = 10 * 60_000;

export interface LateAdjustment {
  consumerId: string;
  /** The earlier, already invoiced period this adjusts. */
  adjustsPeriod: string;
  lineKey: string;
  planId: string;
  currency: string;
  policy: LateUsagePolicy;
  /** Events of the adjusted period now. */
  events: bigint;
  /** Events already covered by its invoice and earlier adjustments. */
  coveredEvents: bigint;
  /** price(all usage now) − billed so far; may be negative (a credit). */
  amountMinor: bigint;
  description: string;
}

export function lateLineKey(adjustsPeriod: string, sequence: number): string {
  return `late:${adjustsPeriod}:${sequence}`;
}

export function lateDescription(adjustsPeriod: string): string {
  return `Usage received after ${adjustsPeriod} was invoiced`;
}

/** What a closed period of one customer has been billed so far, and how many events that covered. */
interface Billed {
  invoice: InvoiceRecord;
  adjustments: LineRecord[];
  amountMinor: bigint;
  coveredEvents: bigint;
  /** Late events ingested before this instant are covered by what was billed (minus the margin). */
  coveredAtMs: number;
}

const key = (consumerId: string, period: string) => JSON.stringify([consumerId, period]);

/** Invoice (never below zero: nothing_to_bill charged nothing) plus every adjustment recorded for the period. */
export function billedSoFar(invoice: InvoiceRecord, adjustments: readonly LineRecord[]): { amountMinor: bigint; coveredEvents: bigint } {
  const invoiced = invoice.state === 'nothing_to_bill' && invoice.amount_minor < 0n ? 0n : invoice.amount_minor;
  return {
    amountMinor: adjustments.reduce((sum, line) => sum + line.amount_minor, invoiced),
    coveredEvents: adjustments.reduce((most, line) => (line.units > most ? line.units : most), invoice.usage_requests),
  };
}

async function billedPeriods(ledger: Ledger, before: string, consumerId: string | undefined): Promise<Billed[]> {
  const invoices = await ledger.closedInvoices(before, consumerId);
  if (invoices.length === 0) return [];
  const [adjustments, runs] = await Promise.all([ledger.adjustmentLines(consumerId === undefined ? {} : { consumerId }), ledger.realRunStarts()]);
  const started = new Map(runs.map((r) => [r.run_id, r.started_ms]));
  const firstRun = new Map<string, number>();
  for (const r of runs) firstRun.set(r.period, Math.min(firstRun.get(r.period) ?? Infinity, r.started_ms));
  const byPeriod = groupBy(adjustments, (line) => key(line.consumer_id, line.adjusts_period));
  return invoices.map((invoice) => {
    const lines = byPeriod.get(key(invoice.consumer_id, invoice.period)) ?? [];
    const latest = Math.max(-Infinity, ...lines.map((l) => started.get(l.run_id) ?? -Infinity));
    const coveredAt = Number.isFinite(latest) ? latest : (firstRun.get(invoice.period) ?? 0);
    return { invoice, adjustments: lines, ...billedSoFar(invoice, lines), coveredAtMs: coveredAt - CANDIDATE_MARGIN_MS };
  });
}

/**
 * (consumer, period) pairs with events ingested since their period was billed, and the latest such
 * ingestion. One condition per period (its earliest threshold), so the ingested_at index (0008) skips
 * the parts written before each period's own billing.
 */
async function recentlyIngested(client: ClickHouseClient, database: string, since: ReadonlyMap<string, number>, consumerId: string | undefined): Promise<Map<string, number>> {
  const params: Record<string, string> = { consumer: consumerId ?? '' };
  const windows = [...since].map(([name, ms], i) => {
    const period = parsePeriod(name);
    params[`from${i}`] = clickHouseTime(period.start);
    params[`to${i}`] = clickHouseTime(period.end);
    params[`since${i}`] = clickHouseTime(new Date(Math.max(0, ms)));
    return `(ts >= {from${i}:DateTime64(3, 'UTC')} AND ts < {to${i}:DateTime64(3, 'UTC')} AND ingested_at >= {since${i}:DateTime64(3, 'UTC')})`;
  });
  const result = await client.query({
    query: `
      SELECT consumer_id, formatDateTime(ts, '%Y-%m', 'UTC') AS period, toUnixTimestamp64Milli(max(ingested_at)) AS last_ms
      FROM ${database}.api_requests
      WHERE (${windows.join(' OR ')}) AND billable AND consumer_id != ''
        ${consumerId === undefined ? '' : 'AND consumer_id = {consumer:String}'}
      GROUP BY consumer_id, period`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ consumer_id: string; period: string; last_ms: string | number }>();
  return new Map(rows.map((r) => [key(r.consumer_id, r.period), Number(r.last_ms)]));
}

/**
 * How far ClickHouse's clock is ahead of this process's (negative: behind), measured now. The
 * margin above covers ordinary skew; this covers the rest (a server without NTP, or the embedded
 * engine under a test's shifted clock).
 */
async function clickHouseClockAhead(client: ClickHouseClient): Promise<number> {
  const before = Date.now();
  const result = await client.query({ query: 'SELECT toUnixTimestamp64Milli(now64(3)) AS ms', format: 'JSONEachRow' });
  const [row] = await result.json<{ ms: string | number }>();
  const after = Date.now();
  return Number(row?.ms ?? before) - Math.round((before + after) / 2);
}

export interface LateUsageDeps {
  client: ClickHouseClient;
  database: string;
  ledger: Ledger;
  plans: PlanCatalog;
}

/**
 * The adjustments a run of `period` would add now, per consumer: for every earlier closed period
 * with more events than were billed. Each is priced with the plan its invoice was priced with.
 * Includes `report` plans' (policy report) and zero amounts (late events inside included units):
 * the run bills what its policy and currency allow.
 */
export async function lateAdjustments(deps: LateUsageDeps, period: Period, consumerId?: string): Promise<Map<string, LateAdjustment[]>> {
  const found = new Map<string, LateAdjustment[]>();
  const billed = await billedPeriods(deps.ledger, period.name, consumerId);
  if (billed.length === 0) return found;
  // Runs are stamped by this process's clock, ingested_at by ClickHouse's: compare on ClickHouse's.
  const ahead = await clickHouseClockAhead(deps.client);
  const coveredAt = (b: Billed) => b.coveredAtMs + ahead;
  const since = new Map<string, number>();
  for (const b of billed) since.set(b.invoice.period, Math.min(since.get(b.invoice.period) ?? Infinity, coveredAt(b)));
  const ingested = await recentlyIngested(deps.client, deps.database, since, consumerId);

  // Candidates: events ingested after what was billed covered them. One exact query per period.
  const candidates = billed.filter((b) => (ingested.get(key(b.invoice.consumer_id, b.invoice.period)) ?? -Infinity) >= coveredAt(b));
  const byPeriod = groupBy(candidates, (b) => b.invoice.period);
  const usage = new Map<string, UsageByConsumer>();
  for (const [name, list] of byPeriod) usage.set(name, await usageForPeriod(deps.client, deps.database, parsePeriod(name), list.map((b) => b.invoice.consumer_id)));

  for (const b of candidates) {
    const { consumer_id: consumer, period: adjusts } = b.invoice;
    const stamped = usage.get(adjusts)?.get(consumer) ?? [];
    const events = requestsOf(stamped.flatMap((group) => group.rows));
    if (events <= b.coveredEvents) continue;
    const draft = priceAssignment(assignPlans(b.invoice.plan_id, stamped, deps.plans));
    if (!draft) continue;
    const priced = draft.totalMinor > 0n ? draft.totalMinor : 0n;
    const adjustment: LateAdjustment = {
      consumerId: consumer,
      adjustsPeriod: adjusts,
      lineKey: lateLineKey(adjusts, b.adjustments.length + 1),
      planId: draft.planId,
      currency: draft.currency,
      policy: deps.plans.plans.get(draft.planId)?.lateUsage ?? DEFAULT_LATE_USAGE,
      events,
      coveredEvents: b.coveredEvents,
      amountMinor: priced - b.amountMinor,
      description: lateDescription(adjusts),
    };
    found.set(consumer, [...(found.get(consumer) ?? []), adjustment]);
  }
  for (const list of found.values()) list.sort((a, b) => a.adjustsPeriod.localeCompare(b.adjustsPeriod));
  return found;
}

/** An adjustment as a line of the invoice of `period` (units: see 0008_late_usage_and_replaced_drafts.sql). */
export function adjustmentLine(period: string, runId: string, adjustment: LateAdjustment): LineRecord {
  return {
    period,
    consumer_id: adjustment.consumerId,
    line_key: adjustment.lineKey,
    adjusts_period: adjustment.adjustsPeriod,
    run_id: runId,
    meter_id: LATE_USAGE_METER,
    api: '',
    description: adjustment.description,
    units: adjustment.events,
    included_units: adjustment.coveredEvents,
    billable_units: adjustment.events - adjustment.coveredEvents,
    amount_minor: adjustment.amountMinor,
    currency: adjustment.currency,
    stripe_invoice_item_id: '',
  };
}
