// Small builders so each test states only the part of a plan it is about.
import { parseDecimal, type Decimal } from '../src/money.ts';
import { DEFAULT_BILLABLE_STATUSES, type Meter, type Plan, type PriceModel, type StatusClass, type Tier, type UsageRow } from '../src/types.ts';

export const d = (text: string): Decimal => parseDecimal(text);

export const perUnit = (unitPrice: string): PriceModel => ({ model: 'per_unit', unitPrice: d(unitPrice) });

export const tier = (upTo: number | null, unitPrice: string, flatFee?: string): Tier =>
  flatFee === undefined ? { upTo, unitPrice: d(unitPrice) } : { upTo, unitPrice: d(unitPrice), flatFee: d(flatFee) };

export function meter(price: PriceModel, extra: Partial<Meter> = {}): Meter {
  return { id: 'calls', description: 'API calls', unit: 'requests', filter: {}, includedUnits: 0, price, ...extra };
}

export function plan(meters: Meter[], extra: Partial<Plan> = {}): Plan {
  return { id: 'p', name: 'Plan', currency: 'EUR', period: 'month', billableStatuses: DEFAULT_BILLABLE_STATUSES, meters, ...extra };
}

export function row(api: string, requests: number, statusClass: StatusClass = '2xx', extra: Partial<UsageRow> = {}): UsageRow {
  return { api, method: 'GET', statusClass, requests, requestBytes: 0, responseBytes: 0, ...extra };
}
