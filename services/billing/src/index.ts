export * from './config.ts';
export * from './service.ts';
export * from './run.ts';
export * from './usage-query.ts';
export { runBillingCli, formatRunTable } from './cli.ts';
export { Ledger } from './ledger.ts';
export { StripeBilling } from './stripe-billing.ts';
export { previewInvoice, type InvoicePreview } from './invoice-preview.ts';
