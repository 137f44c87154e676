// The Stripe side of billing, kept thin: customers, invoices, invoice items, finalization.
// Every create carries an idempotency key derived from period, customer and line, and every call
// is retried on 429, 5xx and connection errors with exponential backoff and full jitter.
import { createHash } from 'node:crypto';
import type Stripe from 'stripe';

/**
 * An idempotency key (and invoice key) from its parts. Consumer ids and API names may hold any
 * character, ':' included, so parts joined by a separator could name two lines alike; the hash of
 * their JSON list cannot, and stays within Stripe's 255-character limit whatever their length.
 */
export function stripeKey(...parts: string[]): string {
  return `tollgate_${createHash('sha256').update(JSON.stringify(parts)).digest('hex')}`;
}

/**
 * The key of a customer's invoice for a period (idempotency keys and metadata tollgate_invoice_key).
 * Scoped by database, so two deployments sharing one Stripe account never collide; a replacement
 * for a deleted draft (generation > 0) gets a key of its own.
 */
export function invoiceKeyOf(scope: string, period: string, consumerId: string, generation: number): string {
  return generation === 0 ? stripeKey(scope, period, consumerId) : stripeKey(scope, period, consumerId, `generation:${generation}`);
}

/** A value inside single quotes in a Stripe search query (https://docs.stripe.com/search#query-fields). */
export function searchString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function isRetryable(error: unknown): boolean {
  const e = error as { statusCode?: number; type?: string };
  return e.type === 'StripeConnectionError' || e.statusCode === 429 || (e.statusCode !== undefined && e.statusCode >= 500);
}

export async function withRetries<T>(policy: RetryPolicy, call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryable(error)) throw error;
      // Full jitter: spreads the retries of concurrent customers instead of synchronising them.
      await sleep(Math.random() * Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)));
    }
  }
}

export interface InvoiceItemInput {
  customer: string;
  invoice: string;
  amountMinor: bigint;
  currency: string;
  description: string;
  metadata: Record<string, string>;
  idempotencyKey: string;
}

/** What reconciliation reads of a Stripe invoice. */
export interface StripeInvoiceSummary {
  id: string;
  status: string;
  currency: string;
  metadata: Record<string, string>;
}

/** What reconciliation reads of a Stripe invoice item. */
export interface StripeItemSummary {
  id: string;
  amountMinor: bigint;
  currency: string;
  description: string;
  metadata: Record<string, string>;
}

const summary = (invoice: Stripe.Invoice): StripeInvoiceSummary => ({ id: invoice.id ?? '', status: invoice.status ?? '', currency: invoice.currency, metadata: { ...(invoice.metadata ?? {}) } });

function toStripeAmount(minor: bigint): number {
  if (minor > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`amount ${minor} exceeds what Stripe accepts`);
  return Number(minor);
}

export class StripeBilling {
  constructor(
    private readonly stripe: Stripe,
    private readonly retry: RetryPolicy,
  ) {}

  async createCustomer(input: { scope: string; consumerId: string; name: string; email: string; orgId: string }): Promise<string> {
    const customer = await withRetries(this.retry, () =>
      this.stripe.customers.create(
        {
          ...(input.name ? { name: input.name } : {}),
          ...(input.email ? { email: input.email } : {}),
          metadata: { tollgate_consumer_id: input.consumerId, tollgate_org_id: input.orgId },
        },
        { idempotencyKey: stripeKey(input.scope, 'customer', input.consumerId) },
      ),
    );
    return customer.id;
  }

  /** An invoice created earlier under this key, found by its metadata (for keys Stripe forgot). */
  async findInvoice(invoiceKey: string): Promise<string | undefined> {
    const found = await withRetries(this.retry, () => this.stripe.invoices.search({ query: `metadata['tollgate_invoice_key']:${searchString(invoiceKey)}` }));
    return found.data.find((invoice) => invoice.metadata?.tollgate_invoice_key === invoiceKey)?.id;
  }

  async createInvoice(input: { customer: string; currency: string; invoiceKey: string; metadata: Record<string, string> }): Promise<string> {
    const invoice = await withRetries(this.retry, () =>
      this.stripe.invoices.create(
        {
          customer: input.customer,
          currency: input.currency.toLowerCase(),
          collection_method: 'charge_automatically',
          auto_advance: false,
          // Only the items this run attaches explicitly: never sweep in unrelated pending items.
          pending_invoice_items_behavior: 'exclude',
          metadata: { ...input.metadata, tollgate_invoice_key: input.invoiceKey },
        },
        { idempotencyKey: stripeKey(input.invoiceKey, 'invoice') },
      ),
    );
    return invoice.id;
  }

  /** Line keys of the items already on an invoice (from our metadata), with their ids: every page of them. */
  async invoiceItemsByLineKey(invoice: string): Promise<Map<string, string>> {
    const byKey = new Map<string, string>();
    let after: string | undefined;
    for (;;) {
      const page = await withRetries(this.retry, () => this.stripe.invoiceItems.list({ invoice, limit: 100, ...(after ? { starting_after: after } : {}) }));
      for (const item of page.data) {
        const key = item.metadata?.tollgate_line_key;
        if (key && item.metadata?.tollgate_invoice === invoice) byKey.set(key, item.id);
      }
      after = page.data.at(-1)?.id;
      if (!page.has_more || after === undefined) return byKey;
    }
  }

  /** Every invoice a search query matches, page after page (https://docs.stripe.com/search#pagination). */
  async searchInvoices(query: string): Promise<StripeInvoiceSummary[]> {
    const found: StripeInvoiceSummary[] = [];
    let page: string | undefined;
    for (;;) {
      const answer = await withRetries(this.retry, () => this.stripe.invoices.search({ query, limit: 100, ...(page ? { page } : {}) }));
      found.push(...answer.data.map(summary));
      page = answer.next_page ?? undefined;
      if (!answer.has_more || !page) return found;
    }
  }

  /** An invoice by id; undefined when Stripe no longer has it (a deleted draft). */
  async retrieveInvoice(id: string): Promise<StripeInvoiceSummary | undefined> {
    try {
      const invoice = await withRetries(this.retry, () => this.stripe.invoices.retrieve(id));
      return (invoice as { deleted?: boolean }).deleted ? undefined : summary(invoice);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  /** Every item on an invoice, ours or not, every page. */
  async invoiceItems(invoice: string): Promise<StripeItemSummary[]> {
    const items: StripeItemSummary[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await withRetries(this.retry, () => this.stripe.invoiceItems.list({ invoice, limit: 100, ...(after ? { starting_after: after } : {}) }));
      for (const item of page.data) {
        if (item.invoice !== invoice && (item.invoice as { id?: string } | null)?.id !== invoice) continue;
        items.push({ id: item.id, amountMinor: BigInt(item.amount), currency: item.currency, description: item.description ?? '', metadata: { ...(item.metadata ?? {}) } });
      }
      after = page.data.at(-1)?.id;
      if (!page.has_more || after === undefined) return items;
    }
  }

  async createInvoiceItem(input: InvoiceItemInput): Promise<string> {
    const item = await withRetries(this.retry, () =>
      this.stripe.invoiceItems.create(
        {
          customer: input.customer,
          invoice: input.invoice,
          amount: toStripeAmount(input.amountMinor),
          currency: input.currency.toLowerCase(),
          description: input.description,
          metadata: { ...input.metadata, tollgate_invoice: input.invoice },
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    return item.id;
  }

  async finalizeInvoice(invoice: string, autoAdvance: boolean, idempotencyKey: string): Promise<void> {
    try {
      await withRetries(this.retry, () => this.stripe.invoices.finalizeInvoice(invoice, { auto_advance: autoAdvance }, { idempotencyKey }));
    } catch (error) {
      // Finalized by an earlier, interrupted run whose idempotency key Stripe has since forgotten.
      const current = await withRetries(this.retry, () => this.stripe.invoices.retrieve(invoice)).catch(() => undefined);
      if (current && current.status !== 'draft') return;
      throw error;
    }
  }
}
