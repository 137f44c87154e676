export * from './config.ts';
export * from './service.ts';
export * from './run.ts';
export * from './usage-query.ts';
export { runBillingCli, formatRunTable } from './cli.ts';
export { Ledger } from './ledger.ts';
export { StripeBilling } from './stripe-billing.ts';
export { WEBHOOK_EVENT_TYPES, type WebhookEmitter, type WebhookEvent, type WebhookEventData, type WebhookEventType } from './webhooks/events.ts';
export { verifySignature } from './webhooks/signature.ts';
