// @tollgate/pricing: the plans file, price models, exact money, quotas and billing periods — the
// pricing domain billing and the dashboards share, so an invoice and the revenue dashboard price
// usage with the same code. Pure functions, no I/O except loadPlansFile.
export { alertThreshold, minorToMajorText, percentOf, USAGE_ALERT_KINDS } from './alerts.ts';
export { currencyDecimals, isKnownCurrency } from './currency.ts';
export {
  MAX_DECIMAL_SCALE,
  addDecimal,
  amountMinor,
  decimalToString,
  exactMinor,
  formatMoney,
  formatPrice,
  multiplyDecimal,
  parseDecimal,
  roundToMinor,
  toUnits,
  type Decimal,
} from './money.ts';
export { DEFAULT_PLANS_FILE, PlanFileError, loadPlansFile, parsePlansFile, type PlansFileFormat } from './plan-file.ts';
export { describePrice, priceInvoice, priceMeter, priceModelExact, priceUsage, withinIncludedUnits, type PriceUsageOptions } from './price.ts';
export {
  assignPlans,
  assignmentTotals,
  priceAssignment,
  type AssignmentTotals,
  type PlanAssignment,
  type PlanGroup,
  type StampedUsage,
  type UnpricedUsage,
} from './plan-assignment.ts';
export {
  allocate,
  monthToDate,
  needsApiSplit,
  revenueChange,
  splitInvoiceByApi,
  type MonthToDate,
  type MonthToDateResult,
  type RevenueChange,
} from './marginal-revenue.ts';
export { quotaState, quotaUnits, type QuotaState } from './quota.ts';
export { meterCounts, meterUsage, unitsOfRow, type MeterUsage } from './usage.ts';
export * from './types.ts';
export { parsePeriod, periodOf, previousPeriod, type Period } from './period.ts';
