/**
 * What stripe-mock does not keep: the invoices and invoice items created through the recording
 * proxy, so that reading them back (retrieve, search, list) answers what was created, as Stripe
 * would. stripe-mock still validates every request first; this only replaces the body of its
 * successful answers for objects created here, and refuses what real Stripe refuses:
 *   - a 251st invoice item on an invoice (400, Stripe changelog 2016-02-22),
 *   - an invoice item on a deleted invoice (404) or on one no longer a draft (400).
 * Objects not created through the proxy (ids from fixtures) are left to stripe-mock's answers.
 */

export const STRIPE_MAX_INVOICE_ITEMS = 250;

export interface StoredInvoice {
  id: string;
  object: 'invoice';
  customer: string;
  currency: string;
  metadata: Record<string, string>;
  status: 'draft' | 'open' | 'void';
  deleted: boolean;
  created: number;
}

export interface StoredInvoiceItem {
  id: string;
  object: 'invoiceitem';
  customer: string;
  invoice: string;
  amount: number;
  currency: string;
  description: string;
  metadata: Record<string, string>;
  created: number;
}

export interface StateAnswer {
  status: number;
  body: unknown;
}

const error = (status: number, type: string, message: string, code?: string): StateAnswer => ({ status, body: { error: { type, message, ...(code ? { code } : {}) } } });

/** `metadata['k']:'v'` clauses joined by AND, the part of Stripe's search language Tollgate uses. */
function searchFilter(query: string): ((invoice: StoredInvoice) => boolean) | undefined {
  const clauses = query.split(/\s+AND\s+/);
  const tests: Array<(invoice: StoredInvoice) => boolean> = [];
  for (const clause of clauses) {
    const m = /^metadata\['((?:[^'\\]|\\.)*)'\]:'((?:[^'\\]|\\.)*)'$/.exec(clause.trim());
    if (!m) return undefined;
    const unescape = (s: string) => s.replace(/\\(.)/g, '$1');
    const [k, v] = [unescape(m[1] ?? ''), unescape(m[2] ?? '')];
    tests.push((invoice) => invoice.metadata[k] === v);
  }
  return (invoice) => tests.every((t) => t(invoice));
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const meta = (v: unknown): Record<string, string> => (v !== null && typeof v === 'object' ? ({ ...(v as Record<string, string>) }) : {});

export class StripeState {
  readonly invoices = new Map<string, StoredInvoice>();
  readonly items = new Map<string, StoredInvoiceItem>();
  private clock = 0;

  private invoiceView(invoice: StoredInvoice): Record<string, unknown> {
    const items = [...this.items.values()].filter((i) => i.invoice === invoice.id);
    const total = items.reduce((sum, i) => sum + i.amount, 0);
    // lines stay stripe-mock's: Tollgate reads items through the invoice items list.
    return { ...invoice, total, subtotal: total, amount_due: Math.max(0, total) };
  }

  /** Before forwarding: a refusal real Stripe would give, or undefined to forward. */
  refuse(method: string, path: string, params: Record<string, unknown>): StateAnswer | undefined {
    if (method === 'POST' && path === '/v1/invoiceitems') {
      const invoice = this.invoices.get(str(params.invoice));
      if (!invoice) return undefined;
      if (invoice.deleted) return error(404, 'invalid_request_error', `No such invoice: '${invoice.id}'`, 'resource_missing');
      if (invoice.status !== 'draft') return error(400, 'invalid_request_error', `Invoice ${invoice.id} is no longer a draft: items cannot be added.`);
      const count = [...this.items.values()].filter((i) => i.invoice === invoice.id).length;
      if (count >= STRIPE_MAX_INVOICE_ITEMS) return error(400, 'invalid_request_error', `You can not add more than ${STRIPE_MAX_INVOICE_ITEMS} invoice items to an invoice.`);
    }
    const single = /^\/v1\/invoices\/([^/]+)(\/finalize)?$/.exec(path);
    const known = single ? this.invoices.get(single[1] ?? '') : undefined;
    if (known?.deleted) return error(404, 'invalid_request_error', `No such invoice: '${known.id}'`, 'resource_missing');
    if (method === 'DELETE' && known && known.status !== 'draft') return error(400, 'invalid_request_error', 'You can only delete draft invoices.');
    return undefined;
  }

  /** After stripe-mock accepted a request: records what it created or changed, and the body to answer. */
  answer(method: string, path: string, params: Record<string, unknown>, upstream: unknown): unknown {
    const created = (upstream as { id?: unknown } | null)?.id;
    if (method === 'POST' && path === '/v1/invoices' && typeof created === 'string') {
      const invoice: StoredInvoice = { id: created, object: 'invoice', customer: str(params.customer), currency: str(params.currency) || 'usd', metadata: meta(params.metadata), status: 'draft', deleted: false, created: ++this.clock };
      this.invoices.set(created, invoice);
      return { ...(upstream as object), ...this.invoiceView(invoice) };
    }
    if (method === 'POST' && path === '/v1/invoiceitems' && typeof created === 'string' && this.invoices.has(str(params.invoice))) {
      const item: StoredInvoiceItem = { id: created, object: 'invoiceitem', customer: str(params.customer), invoice: str(params.invoice), amount: Number(params.amount ?? 0), currency: str(params.currency), description: str(params.description), metadata: meta(params.metadata), created: ++this.clock };
      this.items.set(created, item);
      return { ...(upstream as object), ...item };
    }
    const single = /^\/v1\/invoices\/([^/]+)(\/finalize)?$/.exec(path);
    const invoice = single ? this.invoices.get(single[1] ?? '') : undefined;
    if (invoice) {
      if (method === 'DELETE') {
        invoice.deleted = true;
        // Its items leave with it: none is on any invoice any more.
        for (const item of [...this.items.values()]) if (item.invoice === invoice.id) this.items.delete(item.id);
        return { id: invoice.id, object: 'invoice', deleted: true };
      }
      if (single?.[2] && method === 'POST') invoice.status = 'open';
      return { ...(upstream as object), ...this.invoiceView(invoice) };
    }
    if (method === 'GET' && path === '/v1/invoices/search') {
      const filter = searchFilter(str(params.query));
      if (!filter) return upstream;
      const all = [...this.invoices.values()].filter((i) => !i.deleted && filter(i)).sort((a, b) => b.created - a.created);
      const limit = Number(params.limit ?? 10);
      const offset = Number(str(params.page) || '0');
      const page = all.slice(offset, offset + limit);
      const more = offset + limit < all.length;
      return { object: 'search_result', url: '/v1/invoices/search', data: page.map((i) => this.invoiceView(i)), has_more: more, next_page: more ? String(offset + limit) : null };
    }
    if (method === 'GET' && path === '/v1/invoiceitems' && this.invoices.has(str(params.invoice))) {
      const all = [...this.items.values()].filter((i) => i.invoice === str(params.invoice)).sort((a, b) => b.created - a.created);
      const limit = Number(params.limit ?? 10);
      const after = str(params.starting_after);
      const start = after ? all.findIndex((i) => i.id === after) + 1 : 0;
      const page = all.slice(start, start + limit);
      return { object: 'list', url: '/v1/invoiceitems', data: page, has_more: start + limit < all.length };
    }
    return upstream;
  }
}
