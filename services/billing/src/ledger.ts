// The billing ledger in ClickHouse: runs, per-customer invoice state and invoice lines.
// Each write is a new version of a row; reads take the newest (FINAL).
import type { ClickHouseClient } from '@clickhouse/client';
import { nextVersion } from '@tollgate/schemas';

/** unbilled: usage no plan could price (consumer not in the registry, or its plan not in the plans file), recorded so it never leaves revenue silently. */
export type InvoiceState = 'creating' | 'open' | 'finalized' | 'failed' | 'nothing_to_bill' | 'unbilled';

export interface InvoiceRecord {
  period: string;
  consumer_id: string;
  run_id: string;
  plan_id: string;
  state: InvoiceState;
  stripe_customer_id: string;
  stripe_invoice_id: string;
  /** 0, or how many times a draft of this invoice was deleted in Stripe and replaced (run.ts). */
  invoice_generation: number;
  currency: string;
  amount_minor: bigint;
  lost_revenue_minor: bigint;
  usage_requests: bigint;
  reason: string;
  stripe_status: string;
  updated_at: string;
}

export interface LineRecord {
  period: string;
  consumer_id: string;
  line_key: string;
  /** The earlier period a late-usage adjustment line corrects; '' on the period's own lines (late-usage.ts). */
  adjusts_period: string;
  run_id: string;
  meter_id: string;
  api: string;
  description: string;
  units: bigint;
  included_units: bigint;
  billable_units: bigint;
  amount_minor: bigint;
  currency: string;
  stripe_invoice_item_id: string;
}

export interface RunRecord {
  run_id: string;
  period: string;
  dry_run: boolean;
  trigger: string;
  started_at: string;
  finished_at: string | null;
  status: 'running' | 'finished' | 'failed';
  summary: string;
}

const now = (): string => new Date().toISOString().slice(0, 23).replace('T', ' ');
const BIGINT_FIELDS = ['amount_minor', 'lost_revenue_minor', 'usage_requests', 'units', 'included_units', 'billable_units'];

/** Rows to JSON for insert: bigints as strings (exact), plus a fresh version. */
function row(record: object): Record<string, unknown> {
  const out: Record<string, unknown> = { version: nextVersion().toString() };
  for (const [key, value] of Object.entries(record)) out[key] = typeof value === 'bigint' ? value.toString() : value;
  return out;
}

function parse<T>(record: Record<string, unknown>): T {
  for (const field of BIGINT_FIELDS) if (field in record) record[field] = BigInt(record[field] as string);
  return record as T;
}

export class Ledger {
  constructor(
    private readonly client: ClickHouseClient,
    private readonly database: string,
  ) {}

  private async select<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const result = await this.client.query({
      query,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    });
    return (await result.json<Record<string, unknown>>()).map((r) => parse<T>(r));
  }

  private async insert(table: string, values: object[]): Promise<void> {
    if (values.length === 0) return;
    await this.client.insert({ table: `${this.database}.${table}`, values: values.map(row), format: 'JSONEachRow' });
  }

  async invoices(period: string, consumerId?: string): Promise<Map<string, InvoiceRecord>> {
    const rows = await this.select<InvoiceRecord>(
      `SELECT * EXCEPT version FROM ${this.database}.billing_invoices FINAL
       WHERE period = {period:String} ${consumerId === undefined ? '' : 'AND consumer_id = {consumer:String}'}`,
      { period, consumer: consumerId ?? '' },
    );
    return new Map(rows.map((r) => [r.consumer_id, r]));
  }

  async invoiceByStripeId(stripeInvoiceId: string): Promise<InvoiceRecord | undefined> {
    const [found] = await this.select<InvoiceRecord>(
      `SELECT * EXCEPT version FROM ${this.database}.billing_invoices FINAL WHERE stripe_invoice_id = {id:String} LIMIT 1`,
      { id: stripeInvoiceId },
    );
    return found;
  }

  async writeInvoice(record: Omit<InvoiceRecord, 'updated_at'>): Promise<void> {
    await this.insert('billing_invoices', [{ ...record, updated_at: now() }]);
  }

  async lines(period: string, consumerId: string): Promise<Map<string, LineRecord>> {
    const rows = await this.select<LineRecord>(
      `SELECT * EXCEPT version FROM ${this.database}.billing_lines FINAL
       WHERE period = {period:String} AND consumer_id = {consumer:String}`,
      { period, consumer: consumerId },
    );
    return new Map(rows.map((r) => [r.line_key, r]));
  }

  /** Every line of a period, all customers (reconcile.ts). */
  async periodLines(period: string, consumerId?: string): Promise<LineRecord[]> {
    return this.select<LineRecord>(
      `SELECT * EXCEPT version FROM ${this.database}.billing_lines FINAL
       WHERE period = {period:String} ${consumerId === undefined ? '' : 'AND consumer_id = {consumer:String}'}`,
      { period, consumer: consumerId ?? '' },
    );
  }

  /** Late-usage adjustment lines, on whatever invoice carries them, of one adjusted period or of all. */
  async adjustmentLines(options: { adjusts?: string; consumerId?: string } = {}): Promise<LineRecord[]> {
    return this.select<LineRecord>(
      `SELECT * EXCEPT version FROM ${this.database}.billing_lines FINAL
       WHERE adjusts_period != ''
         ${options.adjusts === undefined ? '' : 'AND adjusts_period = {adjusts:String}'}
         ${options.consumerId === undefined ? '' : 'AND consumer_id = {consumer:String}'}`,
      { adjusts: options.adjusts ?? '', consumer: options.consumerId ?? '' },
    );
  }

  /** Invoices of periods before `before` that are done (finalized, or nothing to bill): those late usage can adjust. */
  async closedInvoices(before: string, consumerId?: string): Promise<InvoiceRecord[]> {
    return this.select<InvoiceRecord>(
      `SELECT * EXCEPT version FROM ${this.database}.billing_invoices FINAL
       WHERE period < {before:String} AND state IN ('finalized', 'nothing_to_bill')
         ${consumerId === undefined ? '' : 'AND consumer_id = {consumer:String}'}`,
      { before, consumer: consumerId ?? '' },
    );
  }

  /** Start of every real (not dry) run, by run id, with its period. */
  async realRunStarts(): Promise<Array<{ run_id: string; period: string; started_ms: number }>> {
    const rows = await this.select<{ run_id: string; period: string; started_ms: string }>(
      `SELECT run_id, period, toUnixTimestamp64Milli(started_at) AS started_ms FROM ${this.database}.billing_runs FINAL WHERE NOT dry_run`,
      {},
    );
    return rows.map((r) => ({ ...r, started_ms: Number(r.started_ms) }));
  }

  async writeLines(lines: LineRecord[]): Promise<void> {
    await this.insert('billing_lines', lines);
  }

  async writeRun(run: RunRecord): Promise<void> {
    await this.insert('billing_runs', [run]);
  }

  async runs(period: string): Promise<RunRecord[]> {
    return this.select<RunRecord>(
      `SELECT * EXCEPT version FROM ${this.database}.billing_runs FINAL WHERE period = {period:String} ORDER BY started_at`,
      { period },
    );
  }

  async recordWebhookEvent(event: { event_id: string; type: string; stripe_invoice_id: string; period: string; consumer_id: string }): Promise<boolean> {
    const [seen] = await this.select<{ n: string }>(
      `SELECT count() AS n FROM ${this.database}.billing_webhook_events WHERE event_id = {id:String}`,
      { id: event.event_id },
    );
    if (seen && Number(seen.n) > 0) return false;
    await this.insert('billing_webhook_events', [{ ...event, received_at: now() }]);
    return true;
  }

  async webhookEvents(): Promise<Array<{ event_id: string; type: string; stripe_invoice_id: string }>> {
    return this.select(`SELECT event_id, type, stripe_invoice_id FROM ${this.database}.billing_webhook_events FINAL ORDER BY received_at`, {});
  }
}

export { now as ledgerTime };
