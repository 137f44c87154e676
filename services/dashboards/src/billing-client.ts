// Invoice previews for the console, read from billing's GET /v1/consumers/{id}/invoice-preview so
// that the console shows exactly the invoice a billing run would make (billing owns that pricing
// step; the dashboards never re-implement it). The dashboard authenticates its own callers and
// scopes them (routes/tenant.ts); it calls billing with its configured billing token.
import { BillingNotConfigured, BillingUnavailable } from './errors.ts';

/** Billing's InvoicePreview as JSON; undefined when billing does not know the consumer. */
export type InvoicePreviews = (consumerId: string) => Promise<Record<string, unknown> | undefined>;

const TIMEOUT_MS = 10_000;

export function billingInvoicePreviews(billing: { url: string; token: string } | undefined, fetchImpl: typeof fetch = fetch): InvoicePreviews {
  return async (consumerId) => {
    if (!billing) throw new BillingNotConfigured();
    let response: Response;
    try {
      response = await fetchImpl(`${billing.url}/v1/consumers/${encodeURIComponent(consumerId)}/invoice-preview`, {
        headers: { authorization: `Bearer ${billing.token}` },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new BillingUnavailable((error as Error).message);
    }
    if (response.status === 404) return undefined;
    if (!response.ok) throw new BillingUnavailable(`HTTP ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  };
}
