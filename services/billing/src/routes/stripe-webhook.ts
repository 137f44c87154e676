// POST /stripe/webhook: Stripe reports invoice outcomes (paid, payment failed, voided); each event
// is recorded once, however often Stripe delivers it. The signature covers the exact bytes Stripe
// sent, so this plugin's scope keeps the body raw (its content-type parser does not leak out).
import type { FastifyPluginAsync } from 'fastify';
import Stripe from 'stripe';
import { NotConfigured } from '@tollgate/platform';
import { BadSignature } from '../errors.ts';
import type { Ledger } from '../ledger.ts';

export interface StripeWebhookRoutesOptions {
  ledger: Ledger;
  /** STRIPE_WEBHOOK_SECRET; without it the route answers 503. */
  webhookSecret: string | undefined;
}

const STATUS_BY_EVENT: Record<string, string> = { 'invoice.paid': 'paid', 'invoice.payment_failed': 'payment_failed', 'invoice.voided': 'void' };

export const stripeWebhookRoutes: FastifyPluginAsync<StripeWebhookRoutesOptions> = async (app, { ledger, webhookSecret }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const verifier = new Stripe('sk_test_webhook_verification_only');

  app.post('/stripe/webhook', async (request) => {
    if (!webhookSecret) throw new NotConfigured('STRIPE_WEBHOOK_SECRET is not set');
    let event: Stripe.Event;
    try {
      event = verifier.webhooks.constructEvent(request.body as Buffer, String(request.headers['stripe-signature'] ?? ''), webhookSecret);
    } catch (error) {
      throw new BadSignature((error as Error).message);
    }
    const status = STATUS_BY_EVENT[event.type];
    if (!status) return { received: true, recorded: false };
    const invoice = event.data.object as Stripe.Invoice;
    const ledgerRow = invoice.id ? await ledger.invoiceByStripeId(invoice.id) : undefined;
    const fresh = await ledger.recordWebhookEvent({
      event_id: event.id,
      type: event.type,
      stripe_invoice_id: invoice.id ?? '',
      period: ledgerRow?.period ?? invoice.metadata?.tollgate_period ?? '',
      consumer_id: ledgerRow?.consumer_id ?? invoice.metadata?.tollgate_consumer_id ?? '',
    });
    if (fresh && ledgerRow) {
      const { updated_at: _ignored, ...rest } = ledgerRow;
      await ledger.writeInvoice({ ...rest, stripe_status: status });
    }
    return { received: true, recorded: fresh };
  });
};
