// Pricing needs far fewer distinctions than usage holds. Plans see a method, a status class or an
// API only through their meters' filters, overrides and billable statuses, so usage that no meter
// of any plan could tell apart is summed in ClickHouse under one representative key before it
// reaches TypeScript: the invoice priced from the collapsed rows is the invoice priced from the
// full ones. The maps do not depend on the row's plan, so ClickHouse applies each to the
// dictionary of a LowCardinality column instead of to every row.
import { STATUS_CLASSES, type Plan } from '@tollgate/pricing';

export interface KeyMap {
  from: string[];
  to: string[];
}

export interface PricingKeys {
  /** Methods some meter names → a representative of those every meter treats alike; others become ''. */
  methods: KeyMap;
  /** Status class → a representative of those every plan treats alike; unknown classes stay as they are. */
  statuses: KeyMap;
  /** APIs some plan names (filters, overrides); the others become ''. Absent: every API is kept. */
  apis?: string[];
}

/** Groups `values` by signature; each maps to the first value of its group. */
function representatives<T extends string>(values: readonly T[], signature: (value: T) => string): KeyMap {
  const first = new Map<string, T>();
  const to = values.map((value) => {
    const key = signature(value);
    if (!first.has(key)) first.set(key, value);
    return first.get(key)!;
  });
  return { from: [...values], to };
}

export function pricingKeys(plans: readonly Plan[], keepApis: boolean): PricingKeys {
  const meters = plans.flatMap((plan) => plan.meters);
  const namedMethods = [...new Set(meters.flatMap((meter) => meter.filter.methods ?? []))].sort();
  const methods = representatives(namedMethods, (method) => meters.map((m) => !m.filter.methods || m.filter.methods.includes(method)).join());
  const statuses = representatives(STATUS_CLASSES, (status) =>
    [...plans.map((plan) => plan.billableStatuses.has(status)), ...meters.map((m) => !m.filter.statusClasses || m.filter.statusClasses.includes(status))].join(),
  );
  if (keepApis) return { methods, statuses };
  const apis = new Set(meters.flatMap((meter) => [...(meter.filter.apis ?? []), ...Object.keys(meter.apiOverrides ?? {})]));
  return { methods, statuses, apis: [...apis].sort() };
}

export interface KeySql {
  method: string;
  status: string;
  api: string;
  params: Record<string, string[]>;
}

/** SQL expressions of the collapsed keys; the maps travel as query parameters. */
export function pricingKeySql(keys: PricingKeys): KeySql {
  const params: Record<string, string[]> = {};
  const transform = (column: string, from: string[], to: string[], fallback: string): string => {
    if (from.length === 0) return fallback;
    params[`key_${column}_from`] = from;
    params[`key_${column}_to`] = to;
    return `transform(${column}, {key_${column}_from:Array(String)}, {key_${column}_to:Array(String)}, ${fallback})`;
  };
  return {
    method: transform('method', keys.methods.from, keys.methods.to, `''`),
    status: transform('status_class', keys.statuses.from, keys.statuses.to, 'status_class'),
    api: keys.apis === undefined ? 'api' : transform('api', keys.apis, keys.apis, `''`),
    params,
  };
}
