// A billing run for one period: usage → priced lines → Stripe invoice items on an invoice per
// customer → finalized invoice. The ledger makes it idempotent: a finished customer is never
// invoiced again, a customer interrupted halfway resumes on the same invoice, and each line is
// created once. Stripe idempotency keys cover the moments between a Stripe call and its ledger
// entry; the ledger covers everything else, for as long as it exists.
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { BASE_FEE_LINE_KEY, parsePeriod, type InvoiceDraft, type InvoiceLine, type PlanAssignment, type PlanCatalog } from '@tollgate/pricing';
import { readConsumers, setStripeCustomerId, type ConsumerRecord } from '@tollgate/registry';
import { draftInvoice } from './consumer-draft.ts';
import { plannedItems, type PlannedItem } from './invoice-items.ts';
import { adjustmentLine, billedSoFar, lateAdjustments } from './late-usage.ts';
import { ledgerTime, type InvoiceRecord, type Ledger, type LineRecord } from './ledger.ts';
import { groupBy } from '@tollgate/platform';
import { inPool } from './pool.ts';
import { LeaseLostError, type RunFence } from './lease/fence.ts';
import { invoiceKeyOf, stripeKey, type StripeBilling } from './stripe-billing.ts';
import { requestsOf, usageForPeriod } from './usage-query.ts';
import type { WebhookEmitter } from './webhooks/events.ts';

export interface RunOptions {
  period: string;
  customer?: string;
  dryRun: boolean;
  trigger: 'cli' | 'api' | 'schedule';
  /**
   * The run takes over a period another process began (the run lease's log says so): a customer
   * without an invoice in this ledger is looked up in Stripe by its invoice key before anything is
   * created, as an interrupted customer is. Needed where replicas do not share one ledger.
   */
  resume?: boolean;
}

export interface RunSettings {
  autoAdvance: boolean;
  concurrency: number;
}

export interface RunDeps {
  client: ClickHouseClient;
  database: string;
  ledger: Ledger;
  plans: PlanCatalog;
  /** Absent when Stripe is not configured: only dry runs are possible then. */
  stripe: StripeBilling | undefined;
  log: Logger;
  /** Where invoice.finalized events go (the webhook outbox); absent: none are emitted. */
  webhooks?: WebhookEmitter;
  /** Called after each customer (the CLI's progress on a terminal): `done` of `total`. */
  onCustomerDone?: (done: number, total: number) => void;
  /** With a run lease: called before each Stripe side effect; throws LeaseLostError once the lease is held elsewhere. */
  fence?: RunFence;
}

export interface LineResult {
  key: string;
  meter: string;
  api?: string;
  description: string;
  units: number;
  included_units: number;
  billable_units: number;
  amount_minor: number;
  /** Set on a late-usage adjustment line (late-usage.ts): the earlier period it corrects. */
  adjusts_period?: string;
}

/** A late-usage adjustment billed on this run's invoice: what a late_usage.billed event reports. */
export interface LateBilled {
  adjusts_period: string;
  line_key: string;
  /** Late events this adjustment bills. */
  events: number;
  /** Negative for a credit. */
  amount_minor: number;
}

export type CustomerOutcome = 'invoiced' | 'already_invoiced' | 'failed' | 'nothing_to_bill' | 'draft' | 'no_plan';

export interface CustomerResult {
  consumer_id: string;
  plan_id: string;
  currency: string;
  outcome: CustomerOutcome;
  stripe_invoice_id?: string;
  amount_minor: number;
  lost_revenue_minor: number;
  lines: LineResult[];
  reason?: string;
  /**
   * Usage of this period that arrived after its invoice was finalized, beyond what adjustments
   * have billed since: billed by the next run of a later period (plan late_usage next_invoice), or
   * only reported (late_usage report).
   */
  late?: { events: number; amount_minor: number };
  /**
   * Hook point for the late_usage.billed webhook: the adjustments for earlier periods this run's
   * invoice carries, set once that invoice is finalized (outcome invoiced).
   */
  late_billed?: LateBilled[];
  /** Usage no plan could price (outcome no_plan): recorded in the ledger, counted, never silently dropped. */
  unbilled_events?: number;
}

export interface RunResult {
  run_id: string;
  period: string;
  dry_run: boolean;
  customers: CustomerResult[];
  totals: {
    customers: number;
    invoices: number;
    already_invoiced: number;
    failures: number;
    amount_minor: Record<string, number>;
    lost_revenue_minor: Record<string, number>;
  };
  /** Consumers whose usage no plan could price, and its events. */
  unbilled: { customers: number; events: number };
  late: { customers: number; events: number; amount_minor: Record<string, number> };
}

/** Minor units in JSON as integers: exact below 2^53, which no real invoice reaches. */
function safe(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`amount ${n} is too large`);
  return Number(n);
}

/**
 * The line's key in the ledger and in Stripe idempotency keys: base_fee, meter or meter:api, as ever
 * for a consumer with one plan in the period; prefixed with the plan (plan:meter[:api]) on an
 * invoice that prices usage under several plans, so that keys stay unique.
 */
export function lineKey(line: InvoiceLine): string {
  if (line.kind === 'base_fee') return BASE_FEE_LINE_KEY;
  const key = line.api ? `${line.meterId}:${line.api}` : line.meterId;
  return line.planId === undefined ? key : `${line.planId}:${key}`;
}

/** Why some usage is not on the invoice (plan-assignment.ts rule 4), or undefined when all of it is. */
export function unpricedReason(assignment: PlanAssignment): string | undefined {
  const unknown = assignment.unpriced.filter((u) => u.reason === 'unknown_plan').map((u) => JSON.stringify(u.planId));
  const otherCurrency = assignment.unpriced.filter((u) => u.reason === 'other_currency').map((u) => JSON.stringify(u.planId));
  const parts = [
    ...(unknown.length > 0 ? [`unknown plan ${unknown.join(', ')}`] : []),
    ...(otherCurrency.length > 0 ? [`plan ${otherCurrency.join(', ')} in another currency than the invoice`] : []),
  ];
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function adjustmentResult(line: LineRecord): LineResult {
  return {
    key: line.line_key,
    meter: line.meter_id,
    description: line.description,
    units: safe(line.units),
    included_units: safe(line.included_units),
    billable_units: safe(line.billable_units),
    amount_minor: safe(line.amount_minor),
    adjusts_period: line.adjusts_period,
  };
}

function lateBilledOf(line: LineRecord): LateBilled {
  return { adjusts_period: line.adjusts_period, line_key: line.line_key, events: safe(line.billable_units), amount_minor: safe(line.amount_minor) };
}

function lineResults(draft: InvoiceDraft): LineResult[] {
  return draft.lines.map((line) =>
    line.kind === 'base_fee'
      ? { key: BASE_FEE_LINE_KEY, meter: BASE_FEE_LINE_KEY, description: line.description, units: 1, included_units: 0, billable_units: 1, amount_minor: safe(line.amountMinor) }
      : {
          key: lineKey(line),
          meter: line.meterId,
          ...(line.api ? { api: line.api } : {}),
          description: line.description,
          units: safe(line.units),
          included_units: safe(line.includedUnits),
          billable_units: safe(line.billableUnits),
          amount_minor: safe(line.amountMinor),
        },
  );
}

export async function runBilling(options: RunOptions, settings: RunSettings, deps: RunDeps): Promise<RunResult> {
  const period = parsePeriod(options.period);
  if (!options.dryRun && !deps.stripe) throw new Error('Stripe is not configured (STRIPE_SECRET_KEY or STRIPE_API_BASE): only --dry-run is possible');
  const runId = randomUUID();
  const started = ledgerTime();
  if (!options.dryRun) await deps.ledger.writeRun({ run_id: runId, period: period.name, dry_run: false, trigger: options.trigger, started_at: started, finished_at: null, status: 'running', summary: '' });

  const [usage, registry, ledgerState, late, adjustmentLines] = await Promise.all([
    usageForPeriod(deps.client, deps.database, period, options.customer),
    readConsumers(deps.client, deps.database, options.customer),
    deps.ledger.invoices(period.name, options.customer),
    lateAdjustments(deps, period, options.customer),
    deps.ledger.adjustmentLines(options.customer === undefined ? {} : { consumerId: options.customer }),
  ]);
  const adjustmentsOf = groupBy(adjustmentLines, (line) => line.consumer_id);
  const consumers = new Map(registry.map((c) => [c.consumer_id, c]));
  const ids = [...new Set([...consumers.keys(), ...usage.keys()])]
    .filter((id) => options.customer === undefined || id === options.customer)
    .sort();

  const results: CustomerResult[] = [];
  const runCustomer = async (consumerId: string): Promise<void> => {
    const consumer = consumers.get(consumerId);
    const stamped = usage.get(consumerId) ?? [];
    const rows = stamped.flatMap((group) => group.rows);
    // Which plan prices which usage: the rule shared with the revenue dashboards (plan-assignment.ts).
    // A consumer no longer in the registry has no one to invoice: its usage is reported, not billed.
    const { assignment, draft } = consumer ? draftInvoice(consumer.plan_id, stamped, deps.plans) : { assignment: undefined, draft: undefined };
    if (!consumer || !assignment || !draft) {
      if (rows.length === 0) return;
      const reason = assignment ? (unpricedReason(assignment) ?? 'nothing to price') : 'not in the consumer registry';
      const events = requestsOf(rows);
      results.push({ consumer_id: consumerId, plan_id: consumer?.plan_id ?? '', currency: '', outcome: 'no_plan', amount_minor: 0, lost_revenue_minor: 0, lines: [], reason, unbilled_events: safe(events) });
      if (!options.dryRun) await deps.ledger.writeInvoice(unbilledRow(period.name, consumerId, runId, consumer?.plan_id ?? '', events, reason));
      return;
    }
    const unpriced = unpricedReason(assignment);
    // Late usage of earlier periods rides on this invoice when their plan says so and the currency
    // matches; otherwise it waits (reported by reconcile as pending).
    const adjustments = (late.get(consumerId) ?? [])
      .filter((a) => a.policy === 'next_invoice' && a.currency === draft.currency)
      .map((a) => adjustmentLine(period.name, runId, a));
    const totalMinor = adjustments.reduce((sum, line) => sum + line.amount_minor, draft.totalMinor);
    const base: CustomerResult = {
      consumer_id: consumerId,
      plan_id: draft.planId,
      currency: draft.currency,
      outcome: 'draft',
      amount_minor: safe(totalMinor),
      lost_revenue_minor: safe(draft.lostRevenueMinor),
      lines: [...lineResults(draft), ...adjustments.map(adjustmentResult)],
      ...(unpriced ? { reason: `not billed: usage under ${unpriced}` } : {}),
    };
    // Usage recorded as unbilled in an earlier run is billed like any other once a plan prices it.
    const recorded = ledgerState.get(consumerId);
    const previous = recorded?.state === 'unbilled' ? undefined : recorded;
    if (previous?.state === 'finalized' || previous?.state === 'nothing_to_bill') {
      const billed = billedSoFar(previous, adjustmentsOf.get(consumerId) ?? []);
      const lateAmount = draft.totalMinor - billed.amountMinor;
      const lateEvents = requestsOf(rows) - billed.coveredEvents;
      results.push({
        ...base,
        outcome: 'already_invoiced',
        amount_minor: safe(previous.amount_minor),
        ...(previous.stripe_invoice_id ? { stripe_invoice_id: previous.stripe_invoice_id } : {}),
        ...(lateEvents > 0n ? { late: { events: safe(lateEvents), amount_minor: safe(lateAmount > 0n ? lateAmount : 0n) } } : {}),
      });
      return;
    }
    if (options.dryRun) {
      results.push(base);
      return;
    }
    if (totalMinor <= 0n) {
      // Adjustments are not recorded then: the next run prices them again.
      await deps.ledger.writeInvoice(invoiceRow(period.name, consumerId, runId, draft.planId, 'nothing_to_bill', draft, rows, previous));
      results.push({ ...base, outcome: 'nothing_to_bill' });
      return;
    }
    try {
      const invoiced = await invoiceCustomer(period.name, runId, consumer, draft.planId, draft, adjustments, rows, previous, options.resume === true, settings, deps);
      const lateBilled = invoiced.snapshot.filter((line) => line.adjusts_period !== '').map(lateBilledOf);
      results.push({
        ...base,
        outcome: 'invoiced',
        stripe_invoice_id: invoiced.invoiceId,
        amount_minor: safe(invoiced.amountMinor),
        // A resumed invoice bills its recorded snapshot, adjustments included: report those.
        lines: [...lineResults(draft), ...invoiced.snapshot.filter((line) => line.adjusts_period !== '').map(adjustmentResult)],
        ...(lateBilled.length > 0 ? { late_billed: lateBilled } : {}),
      });
    } catch (error) {
      // Not this customer's failure: the run stops, and the replica holding the lease now resumes it.
      if (error instanceof LeaseLostError) throw error;
      const reason = (error as Error).message;
      deps.log.warn({ err: error, consumer: consumerId, period: period.name }, 'invoicing failed; the next run retries');
      const latest = (await deps.ledger.invoices(period.name, consumerId)).get(consumerId);
      await deps.ledger.writeInvoice({ ...invoiceRow(period.name, consumerId, runId, draft.planId, 'failed', draft, rows, latest), reason });
      results.push({ ...base, outcome: 'failed', reason });
    }
  };
  let done = 0;
  await inPool(ids, settings.concurrency, async (consumerId) => {
    await runCustomer(consumerId);
    deps.onCustomerDone?.(++done, ids.length);
  });

  results.sort((a, b) => a.consumer_id.localeCompare(b.consumer_id));
  const result = summarise(runId, period.name, options.dryRun, results);
  if (!options.dryRun) {
    await deps.ledger.writeRun({ run_id: runId, period: period.name, dry_run: false, trigger: options.trigger, started_at: started, finished_at: ledgerTime(), status: 'finished', summary: JSON.stringify(result.totals) });
  }
  return result;
}

function unbilledRow(period: string, consumerId: string, runId: string, planId: string, events: bigint, reason: string): Omit<InvoiceRecord, 'updated_at'> {
  return {
    period,
    consumer_id: consumerId,
    run_id: runId,
    plan_id: planId,
    state: 'unbilled',
    stripe_customer_id: '',
    stripe_invoice_id: '',
    invoice_generation: 0,
    currency: '',
    amount_minor: 0n,
    lost_revenue_minor: 0n,
    usage_requests: events,
    reason,
    stripe_status: '',
  };
}

function invoiceRow(
  period: string,
  consumerId: string,
  runId: string,
  planId: string,
  state: InvoiceRecord['state'],
  draft: InvoiceDraft,
  usage: readonly { requests: number | bigint }[],
  previous: InvoiceRecord | undefined,
): Omit<InvoiceRecord, 'updated_at'> {
  return {
    period,
    consumer_id: consumerId,
    run_id: runId,
    plan_id: planId,
    state,
    stripe_customer_id: previous?.stripe_customer_id ?? '',
    stripe_invoice_id: previous?.stripe_invoice_id ?? '',
    invoice_generation: previous?.invoice_generation ?? 0,
    currency: draft.currency,
    amount_minor: draft.totalMinor,
    lost_revenue_minor: draft.lostRevenueMinor,
    usage_requests: requestsOf(usage),
    reason: '',
    stripe_status: previous?.stripe_status ?? '',
  };
}

/**
 * One customer's invoice, resumable at every step. Returns the Stripe invoice id and the amount.
 *
 * The priced lines are written to the ledger before Stripe hears of them, and a resumed attempt
 * bills that snapshot, not a fresh pricing: every Stripe request is then identical to the one it
 * repeats (Stripe refuses an idempotency key reused with other parameters), and usage that
 * arrived in between is reported as late instead of changing an invoice already under way.
 */
async function invoiceCustomer(
  period: string,
  runId: string,
  consumer: ConsumerRecord,
  planId: string,
  draft: InvoiceDraft,
  adjustments: readonly LineRecord[],
  usage: readonly { requests: number | bigint }[],
  previous: InvoiceRecord | undefined,
  takeover: boolean,
  settings: RunSettings,
  deps: RunDeps,
): Promise<{ invoiceId: string; amountMinor: bigint; snapshot: LineRecord[] }> {
  const stripe = deps.stripe as StripeBilling;
  const fence = deps.fence ?? (() => undefined);
  let snapshot = [...(await deps.ledger.lines(period, consumer.consumer_id)).values()];
  // A draft deleted in Stripe (by hand, or by someone's cleanup) is replaced, never written to:
  // the next generation's invoice key makes the replacement a new invoice with new items.
  if (previous?.stripe_invoice_id && !(await stripe.retrieveInvoice(previous.stripe_invoice_id))) {
    deps.log.warn({ consumer: consumer.consumer_id, period, invoice: previous.stripe_invoice_id }, 'the Stripe draft of this invoice is gone: a replacement is created');
    snapshot = snapshot.map((line) => ({ ...line, stripe_invoice_item_id: '' }));
    await deps.ledger.writeLines(snapshot);
    previous = { ...previous, stripe_invoice_id: '', invoice_generation: previous.invoice_generation + 1, state: 'creating' };
    await deps.ledger.writeInvoice(previous);
  }
  const generation = previous?.invoice_generation ?? 0;
  const invoiceKey = invoiceKeyOf(deps.database, period, consumer.consumer_id, generation);

  if (snapshot.length === 0) {
    snapshot = [...draft.lines.map((line) => ledgerLine(period, consumer.consumer_id, runId, line, draft.currency, '')), ...adjustments];
    await deps.ledger.writeLines(snapshot);
  }
  snapshot.sort((a, b) => a.line_key.localeCompare(b.line_key));
  const snapshotRun = snapshot[0]?.run_id ?? runId;
  const amountMinor = snapshot.reduce((sum, line) => sum + line.amount_minor, 0n);
  const currency = snapshot[0]?.currency ?? draft.currency;
  let record: Omit<InvoiceRecord, 'updated_at'> = {
    ...invoiceRow(period, consumer.consumer_id, runId, planId, 'creating', draft, usage, previous),
    amount_minor: amountMinor,
    currency,
    usage_requests: previous?.usage_requests || requestsOf(usage),
  };

  let customerId = consumer.stripe_customer_id || previous?.stripe_customer_id || '';
  if (!customerId) {
    fence();
    customerId = await stripe.createCustomer({ scope: deps.database, consumerId: consumer.consumer_id, name: consumer.name, email: consumer.email, orgId: consumer.org_id });
    await setStripeCustomerId(deps.client, deps.database, consumer, customerId);
  }
  record = { ...record, stripe_customer_id: customerId };

  let invoiceId = previous?.stripe_invoice_id ?? '';
  const resuming = previous !== undefined || takeover;
  if (!invoiceId) {
    // The intent goes to the ledger first: a run killed before the answer is recorded finds the
    // invoice again through the idempotency key, or through its metadata once Stripe forgot it.
    await deps.ledger.writeInvoice(record);
    if (resuming) invoiceId = (await stripe.findInvoice(invoiceKey)) ?? '';
    if (!invoiceId) fence();
    invoiceId ||= await stripe.createInvoice({
      customer: customerId,
      currency,
      invoiceKey,
      metadata: {
        tollgate_period: period,
        tollgate_consumer_id: consumer.consumer_id,
        tollgate_plan: planId,
        tollgate_run: snapshotRun,
        ...(generation > 0 ? { tollgate_invoice_generation: String(generation) } : {}),
      },
    });
  }
  record = { ...record, state: 'open', stripe_invoice_id: invoiceId };
  await deps.ledger.writeInvoice(record);

  const onStripe = resuming ? await stripe.invoiceItemsByLineKey(invoiceId) : new Map<string, string>();
  for (const item of plannedItems(snapshot)) {
    if (item.lines.every((line) => line.stripe_invoice_item_id)) continue;
    if (!onStripe.has(item.key)) fence();
    const itemId =
      onStripe.get(item.key) ||
      (await stripe.createInvoiceItem({
        customer: customerId,
        invoice: invoiceId,
        amountMinor: item.amountMinor,
        currency,
        description: item.description,
        idempotencyKey: stripeKey(invoiceKey, 'line', item.key),
        metadata: itemMetadata(period, consumer.consumer_id, item),
      }));
    // One insert for all lines of a grouped item: they are recorded together or not at all.
    await deps.ledger.writeLines(item.lines.map((line) => ({ ...line, stripe_invoice_item_id: itemId })));
  }

  fence();
  await stripe.finalizeInvoice(invoiceId, settings.autoAdvance, stripeKey(invoiceKey, 'finalize'));
  await deps.ledger.writeInvoice({ ...record, state: 'finalized' });
  // Once per (period, consumer, invoice), and once per late adjustment it carries. The invoice
  // stands if the outbox is unreachable.
  const notFound = (error: unknown) => deps.log.error({ err: error, consumer: consumer.consumer_id, period, invoice: invoiceId }, 'webhook event not emitted');
  await deps.webhooks
    ?.emit('invoice.finalized', { consumer_id: consumer.consumer_id, plan_id: planId, period, stripe_invoice_id: invoiceId, amount_minor: safe(amountMinor), currency }, `${period}:${consumer.consumer_id}:${invoiceId}`)
    .catch(notFound);
  for (const line of snapshot.filter((l) => l.adjusts_period !== '')) {
    await deps.webhooks
      ?.emit(
        'late_usage.billed',
        { consumer_id: consumer.consumer_id, period: line.adjusts_period, billed_in_period: period, stripe_invoice_id: invoiceId, amount_minor: safe(line.amount_minor), currency, events: safe(line.billable_units) },
        `${consumer.consumer_id}:${line.adjusts_period}:${line.line_key}`,
      )
      .catch(notFound);
  }
  return { invoiceId, amountMinor, snapshot };
}

/** Stripe metadata of an invoice item: the line it bills (as ever), or the group of lines (invoice-items.ts). */
function itemMetadata(period: string, consumerId: string, item: PlannedItem): Record<string, string> {
  const first = item.lines[0] as LineRecord;
  const common = { tollgate_period: period, tollgate_consumer_id: consumerId, tollgate_run: first.run_id, tollgate_line_key: item.key };
  if (item.lines.length > 1) {
    return { ...common, tollgate_meter: [...new Set(item.lines.map((line) => line.meter_id))].join('+'), tollgate_lines: String(item.lines.length) };
  }
  return {
    ...common,
    tollgate_meter: first.meter_id,
    tollgate_units: String(first.units),
    tollgate_included_units: String(first.included_units),
    tollgate_billable_units: String(first.billable_units),
    ...(first.api ? { tollgate_api: first.api } : {}),
    ...(first.adjusts_period ? { tollgate_adjusts_period: first.adjusts_period, tollgate_late_events: String(first.billable_units) } : {}),
  };
}

function ledgerLine(period: string, consumerId: string, runId: string, line: InvoiceLine, currency: string, itemId: string): LineRecord {
  const usage = line.kind === 'usage' ? line : undefined;
  return {
    period,
    consumer_id: consumerId,
    line_key: lineKey(line),
    adjusts_period: '',
    run_id: runId,
    meter_id: usage?.meterId ?? BASE_FEE_LINE_KEY,
    api: usage?.api ?? '',
    description: line.description,
    units: usage?.units ?? 1n,
    included_units: usage?.includedUnits ?? 0n,
    billable_units: usage?.billableUnits ?? 1n,
    amount_minor: line.amountMinor,
    currency,
    stripe_invoice_item_id: itemId,
  };
}

function addTo(totals: Record<string, number>, currency: string, amount: number): void {
  if (currency) totals[currency] = (totals[currency] ?? 0) + amount;
}

function summarise(runId: string, period: string, dryRun: boolean, customers: CustomerResult[]): RunResult {
  const result: RunResult = {
    run_id: runId,
    period,
    dry_run: dryRun,
    customers,
    totals: { customers: customers.length, invoices: 0, already_invoiced: 0, failures: 0, amount_minor: {}, lost_revenue_minor: {} },
    unbilled: { customers: 0, events: 0 },
    late: { customers: 0, events: 0, amount_minor: {} },
  };
  for (const c of customers) {
    if (c.outcome === 'invoiced') result.totals.invoices += 1;
    if (c.outcome === 'already_invoiced') result.totals.already_invoiced += 1;
    if (c.outcome === 'failed') result.totals.failures += 1;
    if (c.outcome === 'invoiced' || c.outcome === 'draft') addTo(result.totals.amount_minor, c.currency, c.amount_minor);
    addTo(result.totals.lost_revenue_minor, c.currency, c.lost_revenue_minor);
    if (c.unbilled_events) {
      result.unbilled.customers += 1;
      result.unbilled.events += c.unbilled_events;
    }
    if (c.late) {
      result.late.customers += 1;
      result.late.events += c.late.events;
      addTo(result.late.amount_minor, c.currency, c.late.amount_minor);
    }
  }
  return result;
}
