export * from './config.ts';
export * from './service.ts';
export * from './run.ts';
export * from './usage-query.ts';
export { runBillingCli, formatRunTable, formatReconcileTable } from './cli.ts';
export { Ledger } from './ledger.ts';
export { StripeBilling } from './stripe-billing.ts';
export { lateAdjustments, type LateAdjustment } from './late-usage.ts';
export { reconcilePeriod, type ReconcileResult, type ReconcileCustomer } from './reconcile.ts';
