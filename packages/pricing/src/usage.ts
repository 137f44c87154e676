// Which usage a meter counts, and how much of it is billable under the plan's status setting.
import { toUnits } from './money.ts';
import type { Meter, MeterUnit, Plan, UsageRow } from './types.ts';

export function unitsOfRow(row: UsageRow, unit: MeterUnit): bigint {
  switch (unit) {
    case 'requests':
      return toUnits(row.requests);
    case 'request_bytes':
      return toUnits(row.requestBytes);
    case 'response_bytes':
      return toUnits(row.responseBytes);
    case 'bytes':
      return toUnits(row.requestBytes) + toUnits(row.responseBytes);
  }
}

/** The meter's own filter only; whether the status is billable is the plan's business. */
export function meterCounts(meter: Meter, row: UsageRow): boolean {
  const { apis, methods, statusClasses } = meter.filter;
  if (apis && !apis.includes(row.api)) return false;
  // Gateways disagree on method case; the plan file stores upper case.
  if (methods && !methods.includes(row.method.toUpperCase())) return false;
  if (statusClasses && !statusClasses.includes(row.statusClass)) return false;
  return true;
}

export interface MeterUsage {
  /** API product → units the meter bills. */
  readonly billable: ReadonlyMap<string, bigint>;
  /** API product → units the meter would bill if their status class were billable (lost revenue). */
  readonly nonBillable: ReadonlyMap<string, bigint>;
}

function add(map: Map<string, bigint>, key: string, units: bigint): void {
  map.set(key, (map.get(key) ?? 0n) + units);
}

export function meterUsage(plan: Plan, meter: Meter, usage: readonly UsageRow[]): MeterUsage {
  const billable = new Map<string, bigint>();
  const nonBillable = new Map<string, bigint>();
  for (const row of usage) {
    if (!meterCounts(meter, row)) continue;
    add(plan.billableStatuses.has(row.statusClass) ? billable : nonBillable, row.api, unitsOfRow(row, meter.unit));
  }
  return { billable, nonBillable };
}

export function mergeUsage(a: ReadonlyMap<string, bigint>, b: ReadonlyMap<string, bigint>): Map<string, bigint> {
  const merged = new Map(a);
  for (const [api, units] of b) add(merged, api, units);
  return merged;
}
