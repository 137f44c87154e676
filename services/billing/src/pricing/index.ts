// Plans and pricing: pure functions, no I/O except loadPlansFile.
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
export { PlanFileError, loadPlansFile, parsePlansFile, type PlansFileFormat } from './plan-file.ts';
export { describePrice, priceInvoice, priceMeter, priceModelExact, priceUsage, type PriceUsageOptions } from './price.ts';
export { quotaState, quotaUnits, type QuotaState } from './quota.ts';
export { meterCounts, meterUsage, unitsOfRow, type MeterUsage } from './usage.ts';
export * from './types.ts';
