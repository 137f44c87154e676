// Reconciliation of one period: does Stripe hold what Tollgate billed, and is what Tollgate billed
// the price of the usage ClickHouse holds now? Per customer, three figures from three sources:
//   invoiced  — Stripe: every item on the period's finalized Tollgate invoices (found by metadata,
//               any item, ours or added by hand), less the items that correct earlier periods,
//               plus the late-usage items on later finalized invoices that correct this one;
//   ledger    — what the ledger says was invoiced for the period (lines with an item id, on
//               invoices it holds as finalized);
//   re-priced — all usage of the period priced now, with the plan its invoice was priced with.
// Late usage (events newer than what was billed) explains re-priced − billed: billed when an
// adjustment on a later invoice covers it, pending until then (or for good under late_usage report).
//   difference = invoiced − (re-priced − late pending)
// Any difference, and any ledger figure that disagrees with Stripe, is unexplained: exit 1.
import type { ClickHouseClient } from '@clickhouse/client';
import { assignPlans, parsePeriod, priceAssignment, type PlanCatalog } from '@tollgate/pricing';
import { readConsumers } from '@tollgate/registry';
import { billedSoFar } from './late-usage.ts';
import type { InvoiceRecord, Ledger, LineRecord } from './ledger.ts';
import { groupBy } from '@tollgate/platform';
import { inPool } from './pool.ts';
import { invoiceKeyOf, searchString, type StripeBilling, type StripeInvoiceSummary, type StripeItemSummary } from './stripe-billing.ts';
import { requestsOf, usageForPeriod } from './usage-query.ts';

export interface ReconcileDeps {
  client: ClickHouseClient;
  database: string;
  ledger: Ledger;
  plans: PlanCatalog;
  stripe: StripeBilling;
  /** Stripe reads at a time (item lists, one per invoice). */
  concurrency: number;
}

export interface ReconcileCustomer {
  consumer_id: string;
  currency: string;
  /** Ledger state of the period's invoice ('' when the period was never invoiced for it). */
  state: string;
  stripe_invoice_ids: string[];
  invoiced_minor: number;
  ledger_minor: number;
  repriced_minor: number;
  late_billed_minor: number;
  late_pending_minor: number;
  late_pending_events: number;
  difference_minor: number;
  /** Why the figures disagree, or what explains them; empty when all is plain. */
  notes: string[];
  ok: boolean;
}

export interface ReconcileResult {
  period: string;
  customers: ReconcileCustomer[];
  /** Sum of differences per currency (the metric's value). */
  difference_minor: Record<string, number>;
  /** Customers with an unexplained difference. */
  unexplained: string[];
  ok: boolean;
}

/** An invoice that bills: finalized (open, paid, uncollectible), not a draft and not void. */
function invoicedStatus(invoice: StripeInvoiceSummary): boolean {
  return invoice.status !== 'draft' && invoice.status !== 'void';
}

function safe(n: bigint): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`amount ${n} is too large`);
  return Number(n);
}

const sum = (values: readonly bigint[]): bigint => values.reduce((a, b) => a + b, 0n);

/** The period's Tollgate invoices in Stripe, by consumer: search by metadata, then what search missed (it lags). */
async function stripeInvoices(deps: ReconcileDeps, period: string, ledger: Map<string, InvoiceRecord>, consumerId?: string): Promise<Map<string, StripeInvoiceSummary[]>> {
  const query = [`metadata['tollgate_period']:${searchString(period)}`, ...(consumerId === undefined ? [] : [`metadata['tollgate_consumer_id']:${searchString(consumerId)}`])].join(' AND ');
  // Only this deployment's: the invoice key is scoped by database (run.ts).
  const ours = (invoice: StripeInvoiceSummary) => {
    const consumer = invoice.metadata.tollgate_consumer_id ?? '';
    const generation = Number(invoice.metadata.tollgate_invoice_generation ?? '0');
    return consumer !== '' && Number.isSafeInteger(generation) && invoice.metadata.tollgate_invoice_key === invoiceKeyOf(deps.database, period, consumer, generation);
  };
  const found = (await deps.stripe.searchInvoices(query)).filter(ours);
  const seen = new Set(found.map((i) => i.id));
  const missing = [...ledger.values()].filter((r) => r.stripe_invoice_id !== '' && !seen.has(r.stripe_invoice_id));
  const retrieved = await inPool(missing, deps.concurrency, (r) => deps.stripe.retrieveInvoice(r.stripe_invoice_id));
  // Retrieved ones must prove they are ours too (a stateless stand-in answers any id with a fixture).
  const kept = retrieved.filter((i): i is StripeInvoiceSummary => i !== undefined && ours(i));
  return groupBy([...found, ...kept], (invoice) => invoice.metadata.tollgate_consumer_id ?? '');
}

export async function reconcilePeriod(deps: ReconcileDeps, periodName: string, consumerId?: string): Promise<ReconcileResult> {
  const period = parsePeriod(periodName);
  const [ledger, lines, adjustmentLines, usage, registry] = await Promise.all([
    deps.ledger.invoices(period.name, consumerId),
    deps.ledger.periodLines(period.name, consumerId),
    deps.ledger.adjustmentLines(consumerId === undefined ? {} : { consumerId }),
    usageForPeriod(deps.client, deps.database, period, consumerId),
    readConsumers(deps.client, deps.database, consumerId),
  ]);
  const invoices = await stripeInvoices(deps, period.name, ledger, consumerId);

  // Later invoices carrying adjustments of this period: their items are this period's too.
  const correcting = adjustmentLines.filter((line) => line.adjusts_period === period.name);
  const carriers = new Map<string, { consumer: string; period: string; invoiceId: string; ledgerFinalized: boolean; stripeFinalized: boolean }>();
  const carrierOf = new Map<LineRecord, string>();
  for (const line of correcting) {
    const carrier = (await deps.ledger.invoices(line.period, line.consumer_id)).get(line.consumer_id);
    if (!carrier?.stripe_invoice_id) continue;
    carrierOf.set(line, carrier.stripe_invoice_id);
    if (carriers.has(carrier.stripe_invoice_id)) continue;
    const onStripe = await deps.stripe.retrieveInvoice(carrier.stripe_invoice_id);
    carriers.set(carrier.stripe_invoice_id, { consumer: line.consumer_id, period: line.period, invoiceId: carrier.stripe_invoice_id, ledgerFinalized: carrier.state === 'finalized', stripeFinalized: onStripe !== undefined && invoicedStatus(onStripe) });
  }
  const periodInvoices = [...invoices.values()].flat().filter(invoicedStatus);
  const itemLists = await inPool([...periodInvoices.map((i) => i.id), ...carriers.keys()], deps.concurrency, async (id) => [id, await deps.stripe.invoiceItems(id)] as const);
  const items = new Map<string, StripeItemSummary[]>(itemLists);

  const registryPlan = new Map(registry.map((c) => [c.consumer_id, c.plan_id]));
  const linesOf = groupBy(lines, (l) => l.consumer_id);
  const adjustmentsOf = groupBy(adjustmentLines, (l) => l.consumer_id);
  const correctingOf = groupBy(correcting, (l) => l.consumer_id);
  const carriersOf = groupBy([...carriers.values()], (c) => c.consumer);
  const ids = [...new Set([...ledger.keys(), ...invoices.keys(), ...usage.keys(), ...registryPlan.keys(), ...correcting.map((l) => l.consumer_id)])]
    .filter((id) => consumerId === undefined || id === consumerId)
    .sort();

  const customers: ReconcileCustomer[] = [];
  for (const id of ids) {
    const recorded = ledger.get(id);
    // Usage recorded as unbilled is billed like any other once a plan prices it (run.ts).
    const record = recorded?.state === 'unbilled' ? undefined : recorded;
    const notes: string[] = [];
    const stamped = usage.get(id) ?? [];
    const planId = record?.plan_id || registryPlan.get(id);
    const draft = priceAssignment(assignPlans(planId, stamped, deps.plans));
    if (!draft && !record && !invoices.has(id)) {
      if (stamped.length > 0) customers.push(unbilled(id, recorded, requestsOf(stamped.flatMap((g) => g.rows))));
      continue;
    }
    const repriced = draft && draft.totalMinor > 0n ? draft.totalMinor : 0n;
    const own = (invoices.get(id) ?? []).filter(invoicedStatus);
    const drafts = (invoices.get(id) ?? []).filter((i) => i.status === 'draft');
    const ownItems = own.flatMap((i) => items.get(i.id) ?? []).filter((item) => (item.metadata.tollgate_adjusts_period ?? '') === '');
    const myCarriers = carriersOf.get(id) ?? [];
    const carried = myCarriers.filter((c) => c.stripeFinalized).flatMap((c) => items.get(c.invoiceId) ?? []).filter((item) => item.metadata.tollgate_adjusts_period === period.name);
    const invoiced = sum([...ownItems, ...carried].map((item) => item.amountMinor));

    const invoicedLine = (line: LineRecord) => line.stripe_invoice_item_id !== '';
    const mine = (correctingOf.get(id) ?? []).filter((line) => invoicedLine(line) && carriers.get(carrierOf.get(line) ?? '')?.ledgerFinalized === true);
    const lateBilled = sum(mine.map((l) => l.amount_minor));
    const ownBilled = record?.state === 'finalized' ? sum((linesOf.get(id) ?? []).filter((l) => l.adjusts_period === '' && invoicedLine(l)).map((l) => l.amount_minor)) : 0n;
    const ledgerAmount = ownBilled + lateBilled;
    for (const c of myCarriers.filter((c) => !c.ledgerFinalized || !c.stripeFinalized)) notes.push(`late usage adjustment on the unfinished invoice of ${c.period} (${c.invoiceId})`);
    if (drafts.length > 0) notes.push(`Stripe drafts not counted as invoiced: ${drafts.map((i) => i.id).join(', ')}`);

    let pending = 0n;
    let pendingEvents = 0n;
    if (record && (record.state === 'finalized' || record.state === 'nothing_to_bill')) {
      const billed = billedSoFar(record, adjustmentsOf.get(id) ?? []);
      const events = requestsOf(stamped.flatMap((g) => g.rows));
      if (events > billed.coveredEvents) {
        pendingEvents = events - billed.coveredEvents;
        pending = repriced - billed.amountMinor;
        const policy = draft ? deps.plans.plans.get(draft.planId)?.lateUsage : undefined;
        notes.push(`${pendingEvents} late events ${policy === 'report' ? 'reported only (late_usage: report)' : 'to be billed on the next invoice'}`);
      }
    } else if (record) {
      notes.push(`invoice ${record.state}: not finalized (the next run of ${period.name} resumes it)`);
    } else if (repriced > 0n) {
      notes.push(`not invoiced: no billing run of ${period.name} has invoiced this customer`);
    }
    if (own.length > 1) notes.push(`${own.length} Stripe invoices for one period: ${own.map((i) => i.id).join(', ')}`);
    if (record?.stripe_invoice_id && ![...own, ...drafts].some((i) => i.id === record.stripe_invoice_id)) notes.push(`Stripe invoice ${record.stripe_invoice_id} of the ledger is gone from Stripe (deleted or void)`);
    const foreign = ownItems.filter((item) => !item.metadata.tollgate_line_key);
    if (foreign.length > 0) notes.push(`items not created by Tollgate: ${foreign.map((i) => `${i.id} (${i.amountMinor})`).join(', ')}`);
    if (invoiced !== ledgerAmount) notes.push(`Stripe holds ${invoiced}, the ledger says ${ledgerAmount}`);

    const difference = invoiced - (repriced - pending);
    const ok = difference === 0n && invoiced === ledgerAmount;
    // A registry entry with nothing due, never invoiced: nothing to say about it.
    if (ok && !record && own.length === 0 && repriced === 0n && notes.length === 0) continue;
    customers.push({
      consumer_id: id,
      currency: record?.currency || draft?.currency || '',
      state: record?.state ?? '',
      stripe_invoice_ids: own.map((i) => i.id),
      invoiced_minor: safe(invoiced),
      ledger_minor: safe(ledgerAmount),
      repriced_minor: safe(repriced),
      late_billed_minor: safe(lateBilled),
      late_pending_minor: safe(pending),
      late_pending_events: safe(pendingEvents),
      difference_minor: safe(difference),
      notes,
      ok,
    });
  }
  const differenceByCurrency: Record<string, number> = {};
  for (const c of customers) if (c.currency) differenceByCurrency[c.currency] = (differenceByCurrency[c.currency] ?? 0) + c.difference_minor;
  const unexplained = customers.filter((c) => !c.ok).map((c) => c.consumer_id);
  return { period: period.name, customers, difference_minor: differenceByCurrency, unexplained, ok: unexplained.length === 0 };
}

/** Usage no plan prices: the run reports it as unbilled; nothing was invoiced, nothing is due. */
function unbilled(id: string, record: InvoiceRecord | undefined, events: bigint): ReconcileCustomer {
  return {
    consumer_id: id,
    currency: '',
    state: record?.state ?? '',
    stripe_invoice_ids: [],
    invoiced_minor: 0,
    ledger_minor: 0,
    repriced_minor: 0,
    late_billed_minor: 0,
    late_pending_minor: 0,
    late_pending_events: 0,
    difference_minor: 0,
    notes: [`${events} events no plan prices (unbilled usage)`],
    ok: true,
  };
}
