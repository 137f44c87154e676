// POST /stripe/webhook: Stripe reports invoice outcomes (paid, payment failed, voided); each event
// is recorded once, however often Stripe delivers it. The signature covers the exact bytes Stripe
// sent, so this plugin's scope keeps the body raw (its content-type parser does not leak out).
// A payment failure is passed on to webhook endpoints as invoice.payment_failed, once per Stripe
// event: emitted before answering, so a failed emit makes Stripe deliver again.
import type { FastifyPluginAsync } from 'fastify';
import Stripe from 'stripe';
import { describedOnly, errorResponses, NotConfigured } from '@tollgate/platform';
import { BadSignature } from '../errors.ts';
import type { Ledger } from '../ledger.ts';
import type { WebhookEmitter } from '../webhooks/events.ts';
import { STRIPE_WEBHOOK_ANSWER } from './answers.ts';

export interface StripeWebhookRoutesOptions {
  ledger: Ledger;
  /** STRIPE_WEBHOOK_SECRET; without it the route answers 503. */
  webhookSecret: string | undefined;
  /** Where invoice.payment_failed goes (the webhook outbox); absent: nowhere. */
  webhooks?: WebhookEmitter;
}

const SCHEMA = {
  tags: ['stripe'],
  summary: "Stripe's webhook (invoice.paid, invoice.payment_failed, invoice.voided)",
  description: 'Signed by Stripe (Stripe-Signature over the exact bytes, STRIPE_WEBHOOK_SECRET); each event is recorded once.',
  response: { 200: STRIPE_WEBHOOK_ANSWER, ...errorResponses({ 400: 'bad_signature' }, { 503: 'not_configured: STRIPE_WEBHOOK_SECRET is not set' }) },
};
/** The body stays raw bytes (the signature covers them): described, never parsed by fastify. */
const DESCRIBED = describedOnly({ body: { description: 'a Stripe event', content: { 'application/json': { schema: { type: 'object', additionalProperties: true, properties: { id: { type: 'string' }, type: { type: 'string' } } } } } } });

const STATUS_BY_EVENT: Record<string, string> = { 'invoice.paid': 'paid', 'invoice.payment_failed': 'payment_failed', 'invoice.voided': 'void' };

export const stripeWebhookRoutes: FastifyPluginAsync<StripeWebhookRoutesOptions> = async (app, { ledger, webhookSecret, webhooks }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  const verifier = new Stripe('sk_test_webhook_verification_only');

  app.post('/stripe/webhook', { schema: SCHEMA, config: DESCRIBED }, async (request) => {
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
    const period = ledgerRow?.period ?? invoice.metadata?.tollgate_period ?? '';
    const consumerId = ledgerRow?.consumer_id ?? invoice.metadata?.tollgate_consumer_id ?? '';
    if (event.type === 'invoice.payment_failed') {
      await webhooks?.emit(
        'invoice.payment_failed',
        { consumer_id: consumerId, period, stripe_invoice_id: invoice.id ?? '', stripe_event_id: event.id, amount_due_minor: invoice.amount_due ?? null, currency: invoice.currency ? invoice.currency.toUpperCase() : null },
        event.id,
      );
    }
    const fresh = await ledger.recordWebhookEvent({ event_id: event.id, type: event.type, stripe_invoice_id: invoice.id ?? '', period, consumer_id: consumerId });
    if (fresh && ledgerRow) {
      const { updated_at: _ignored, ...rest } = ledgerRow;
      await ledger.writeInvoice({ ...rest, stripe_status: status });
    }
    return { received: true, recorded: fresh };
  });
};
