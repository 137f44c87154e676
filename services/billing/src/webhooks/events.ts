// The events billing sends to webhook endpoints, each type with the shape of its `data`, and the
// one API that emits them (WebhookEmitter). An event's id is derived from its dedup key: the same
// occurrence (one threshold crossing of one consumer in one period, one finalized invoice, …)
// always gets the same id, so emitting it again is a no-op, whoever emits it and however often.
import { createHash } from 'node:crypto';

export interface UsageThresholdReached {
  consumer_id: string;
  plan_id: string;
  /** YYYY-MM. */
  period: string;
  alert: { of: 'quota' | 'included_units' | 'spend'; at: string; meter?: string };
  /** Where the alert fires: requests (quota), the meter's units (included_units) or minor units (spend). */
  threshold: number;
  /** The measured value when the crossing was seen, same unit. */
  value: number;
  /** For spend alerts: the plan's currency. */
  currency?: string;
}

export interface QuotaExhausted {
  consumer_id: string;
  plan_id: string;
  period: string;
  limit: number;
  used: number;
  /** A hard quota refuses further calls; a soft one bills them. */
  hard: boolean;
}

export interface InvoiceFinalized {
  consumer_id: string;
  plan_id: string;
  period: string;
  stripe_invoice_id: string;
  amount_minor: number;
  currency: string;
}

export interface InvoicePaymentFailed {
  consumer_id: string;
  period: string;
  stripe_invoice_id: string;
  /** Stripe's event id, for looking the failure up in Stripe. */
  stripe_event_id: string;
  amount_due_minor: number | null;
  currency: string | null;
}

export interface LateUsageBilled {
  consumer_id: string;
  /** The closed period the late usage belongs to. */
  period: string;
  /** The period whose invoice carries the adjustment line. */
  billed_in_period: string;
  stripe_invoice_id: string;
  /** The adjustment: negative for a credit. */
  amount_minor: number;
  currency: string;
  events: number;
}

export interface ConsumerSuspended {
  consumer_id: string;
  plan_id: string;
  /** ISO 8601. */
  suspended_at: string;
}

export interface WebhookEventData {
  'usage.threshold_reached': UsageThresholdReached;
  'quota.exhausted': QuotaExhausted;
  'invoice.finalized': InvoiceFinalized;
  'invoice.payment_failed': InvoicePaymentFailed;
  'late_usage.billed': LateUsageBilled;
  'consumer.suspended': ConsumerSuspended;
}

export type WebhookEventType = keyof WebhookEventData;

export const WEBHOOK_EVENT_TYPES: readonly WebhookEventType[] = [
  'usage.threshold_reached',
  'quota.exhausted',
  'invoice.finalized',
  'invoice.payment_failed',
  'late_usage.billed',
  'consumer.suspended',
];

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** What an endpoint receives, as JSON: the body is signed byte for byte. */
export interface WebhookEvent<T extends WebhookEventType = WebhookEventType> {
  id: string;
  type: T;
  /** ISO 8601, when the event was emitted. */
  created_at: string;
  data: WebhookEventData[T];
}

export interface EmitResult {
  id: string;
  /** False when an event with this dedup key had been emitted already: nothing was written. */
  emitted: boolean;
}

/** One event to emit: what emit() takes, as one value (for emitAll). */
export type EmitRequest = { [T in WebhookEventType]: { type: T; data: WebhookEventData[T]; dedupKey: string } }[WebhookEventType];

/**
 * Emits an event once per dedup key, durably: when the promise resolves the event is in the
 * outbox and will be delivered to every endpoint subscribed to its type at least once. The dedup
 * key names the occurrence, e.g. `<consumer>:<period>:<alert key>` for a usage threshold; the
 * event type is part of the id, so keys need only be unique within a type.
 */
export interface WebhookEmitter {
  emit<T extends WebhookEventType>(type: T, data: WebhookEventData[T], dedupKey: string): Promise<EmitResult>;
  /** The same for many events at once, in one write (a refresh that sees thousands of crossings). */
  emitAll(requests: readonly EmitRequest[]): Promise<EmitResult[]>;
}

/** `evt_` + 128 bits of SHA-256 over type and dedup key. */
export function eventId(type: WebhookEventType, dedupKey: string): string {
  return `evt_${createHash('sha256').update(`${type}\n${dedupKey}`).digest('hex').slice(0, 32)}`;
}
