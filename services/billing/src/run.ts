// A billing run for one period: usage → priced lines → Stripe invoice items on an invoice per
// customer → finalized invoice. The ledger makes it idempotent: a finished customer is never
// invoiced again, a customer interrupted halfway resumes on the same invoice, and each line is
// created once. Stripe idempotency keys cover the moments between a Stripe call and its ledger
// entry; the ledger covers everything else, for as long as it exists.
import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { assignPlans, BASE_FEE_LINE_KEY, parsePeriod, priceAssignment, type InvoiceDraft, type InvoiceLine, type PlanAssignment, type PlanCatalog } from '@tollgate/pricing';
import { readConsumers, setStripeCustomerId, type ConsumerRecord } from '@tollgate/registry';
import { ledgerTime, type InvoiceRecord, type Ledger, type LineRecord } from './ledger.ts';
import { stripeKey, type StripeBilling } from './stripe-billing.ts';
import { usageForPeriod } from './usage-query.ts';
import type { WebhookEmitter } from './webhooks/events.ts';

export interface RunOptions {
  period: string;
  customer?: string;
  dryRun: boolean;
  trigger: 'cli' | 'api' | 'schedule';
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
  /** Usage that arrived after the customer's invoice was finalized: reported, not billed. */
  late?: { events: number; amount_minor: number };
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
function unpricedReason(assignment: PlanAssignment): string | undefined {
  const unknown = assignment.unpriced.filter((u) => u.reason === 'unknown_plan').map((u) => JSON.stringify(u.planId));
  const otherCurrency = assignment.unpriced.filter((u) => u.reason === 'other_currency').map((u) => JSON.stringify(u.planId));
  const parts = [
    ...(unknown.length > 0 ? [`unknown plan ${unknown.join(', ')}`] : []),
    ...(otherCurrency.length > 0 ? [`plan ${otherCurrency.join(', ')} in another currency than the invoice`] : []),
  ];
  return parts.length > 0 ? parts.join('; ') : undefined;
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

function requestsOf(usage: readonly { requests: number | bigint }[]): bigint {
  return usage.reduce((sum, row) => sum + BigInt(row.requests), 0n);
}

async function inPool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

export async function runBilling(options: RunOptions, settings: RunSettings, deps: RunDeps): Promise<RunResult> {
  const period = parsePeriod(options.period);
  if (!options.dryRun && !deps.stripe) throw new Error('Stripe is not configured (STRIPE_SECRET_KEY or STRIPE_API_BASE): only --dry-run is possible');
  const runId = randomUUID();
  const started = ledgerTime();
  if (!options.dryRun) await deps.ledger.writeRun({ run_id: runId, period: period.name, dry_run: false, trigger: options.trigger, started_at: started, finished_at: null, status: 'running', summary: '' });

  const [usage, registry, ledgerState] = await Promise.all([
    usageForPeriod(deps.client, deps.database, period, options.customer),
    readConsumers(deps.client, deps.database, options.customer),
    deps.ledger.invoices(period.name, options.customer),
  ]);
  const consumers = new Map(registry.map((c) => [c.consumer_id, c]));
  const ids = [...new Set([...consumers.keys(), ...usage.keys()])]
    .filter((id) => options.customer === undefined || id === options.customer)
    .sort();

  const results: CustomerResult[] = [];
  await inPool(ids, settings.concurrency, async (consumerId) => {
    const consumer = consumers.get(consumerId);
    const stamped = usage.get(consumerId) ?? [];
    const rows = stamped.flatMap((group) => group.rows);
    // Which plan prices which usage: the rule shared with the revenue dashboards (plan-assignment.ts).
    // A consumer no longer in the registry has no one to invoice: its usage is reported, not billed.
    const assignment = consumer ? assignPlans(consumer.plan_id, stamped, deps.plans) : undefined;
    const draft = assignment && priceAssignment(assignment);
    if (!consumer || !assignment || !draft) {
      if (rows.length === 0) return;
      const reason = assignment ? (unpricedReason(assignment) ?? 'nothing to price') : 'not in the consumer registry';
      const events = requestsOf(rows);
      results.push({ consumer_id: consumerId, plan_id: consumer?.plan_id ?? '', currency: '', outcome: 'no_plan', amount_minor: 0, lost_revenue_minor: 0, lines: [], reason, unbilled_events: safe(events) });
      if (!options.dryRun) await deps.ledger.writeInvoice(unbilledRow(period.name, consumerId, runId, consumer?.plan_id ?? '', events, reason));
      return;
    }
    const unpriced = unpricedReason(assignment);
    const base: CustomerResult = {
      consumer_id: consumerId,
      plan_id: draft.planId,
      currency: draft.currency,
      outcome: 'draft',
      amount_minor: safe(draft.totalMinor),
      lost_revenue_minor: safe(draft.lostRevenueMinor),
      lines: lineResults(draft),
      ...(unpriced ? { reason: `not billed: usage under ${unpriced}` } : {}),
    };
    // Usage recorded as unbilled in an earlier run is billed like any other once a plan prices it.
    const recorded = ledgerState.get(consumerId);
    const previous = recorded?.state === 'unbilled' ? undefined : recorded;
    if (previous?.state === 'finalized' || previous?.state === 'nothing_to_bill') {
      const lateAmount = draft.totalMinor - previous.amount_minor;
      const lateEvents = requestsOf(rows) - previous.usage_requests;
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
    if (draft.totalMinor <= 0n) {
      await deps.ledger.writeInvoice(invoiceRow(period.name, consumerId, runId, draft.planId, 'nothing_to_bill', draft, rows, previous));
      results.push({ ...base, outcome: 'nothing_to_bill' });
      return;
    }
    try {
      const invoiced = await invoiceCustomer(period.name, runId, consumer, draft.planId, draft, rows, previous, settings, deps);
      results.push({ ...base, outcome: 'invoiced', stripe_invoice_id: invoiced.invoiceId, amount_minor: safe(invoiced.amountMinor) });
    } catch (error) {
      const reason = (error as Error).message;
      deps.log.warn({ err: error, consumer: consumerId, period: period.name }, 'invoicing failed; the next run retries');
      const latest = (await deps.ledger.invoices(period.name, consumerId)).get(consumerId);
      await deps.ledger.writeInvoice({ ...invoiceRow(period.name, consumerId, runId, draft.planId, 'failed', draft, rows, latest), reason });
      results.push({ ...base, outcome: 'failed', reason });
    }
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
  usage: readonly { requests: number | bigint }[],
  previous: InvoiceRecord | undefined,
  settings: RunSettings,
  deps: RunDeps,
): Promise<{ invoiceId: string; amountMinor: bigint }> {
  const stripe = deps.stripe as StripeBilling;
  // Keys are scoped by database, so two deployments sharing one Stripe account never collide.
  const invoiceKey = stripeKey(deps.database, period, consumer.consumer_id);

  let snapshot = [...(await deps.ledger.lines(period, consumer.consumer_id)).values()];
  if (snapshot.length === 0) {
    snapshot = draft.lines.map((line) => ledgerLine(period, consumer.consumer_id, runId, line, draft.currency, ''));
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
    customerId = await stripe.createCustomer({ scope: deps.database, consumerId: consumer.consumer_id, name: consumer.name, email: consumer.email, orgId: consumer.org_id });
    await setStripeCustomerId(deps.client, deps.database, consumer, customerId);
  }
  record = { ...record, stripe_customer_id: customerId };

  let invoiceId = previous?.stripe_invoice_id ?? '';
  const resuming = previous !== undefined;
  if (!invoiceId) {
    // The intent goes to the ledger first: a run killed before the answer is recorded finds the
    // invoice again through the idempotency key, or through its metadata once Stripe forgot it.
    await deps.ledger.writeInvoice(record);
    if (resuming) invoiceId = (await stripe.findInvoice(invoiceKey)) ?? '';
    invoiceId ||= await stripe.createInvoice({
      customer: customerId,
      currency,
      invoiceKey,
      metadata: { tollgate_period: period, tollgate_consumer_id: consumer.consumer_id, tollgate_plan: planId, tollgate_run: snapshotRun },
    });
  }
  record = { ...record, state: 'open', stripe_invoice_id: invoiceId };
  await deps.ledger.writeInvoice(record);

  const onStripe = resuming ? await stripe.invoiceItemsByLineKey(invoiceId) : new Map<string, string>();
  for (const line of snapshot) {
    if (line.amount_minor === 0n || line.stripe_invoice_item_id) continue;
    const itemId =
      onStripe.get(line.line_key) ||
      (await stripe.createInvoiceItem({
        customer: customerId,
        invoice: invoiceId,
        amountMinor: line.amount_minor,
        currency,
        description: line.description,
        idempotencyKey: stripeKey(invoiceKey, 'line', line.line_key),
        metadata: {
          tollgate_period: period,
          tollgate_consumer_id: consumer.consumer_id,
          tollgate_run: line.run_id,
          tollgate_line_key: line.line_key,
          tollgate_meter: line.meter_id,
          tollgate_units: String(line.units),
          tollgate_included_units: String(line.included_units),
          tollgate_billable_units: String(line.billable_units),
          ...(line.api ? { tollgate_api: line.api } : {}),
        },
      }));
    await deps.ledger.writeLines([{ ...line, stripe_invoice_item_id: itemId }]);
  }

  await stripe.finalizeInvoice(invoiceId, settings.autoAdvance, stripeKey(invoiceKey, 'finalize'));
  await deps.ledger.writeInvoice({ ...record, state: 'finalized' });
  // Once per (period, consumer, invoice). The invoice stands if the outbox is unreachable.
  await deps.webhooks
    ?.emit('invoice.finalized', { consumer_id: consumer.consumer_id, plan_id: planId, period, stripe_invoice_id: invoiceId, amount_minor: safe(amountMinor), currency }, `${period}:${consumer.consumer_id}:${invoiceId}`)
    .catch((error: unknown) => deps.log.error({ err: error, consumer: consumer.consumer_id, period, invoice: invoiceId }, 'invoice.finalized webhook event not emitted'));
  return { invoiceId, amountMinor };
}

function ledgerLine(period: string, consumerId: string, runId: string, line: InvoiceLine, currency: string, itemId: string): LineRecord {
  const usage = line.kind === 'usage' ? line : undefined;
  return {
    period,
    consumer_id: consumerId,
    line_key: lineKey(line),
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
