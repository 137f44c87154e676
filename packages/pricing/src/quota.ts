// Period quota as the gateway sees it. Pricing does not read the quota: soft-quota overage is billed
// by the meters (included units + price model); a hard quota is enforced by refusing calls.
import { toUnits } from './money.ts';
import type { Count, Plan, UsageRow } from './types.ts';

export interface QuotaState {
  readonly limit: number;
  readonly used: number;
  readonly remaining: number;
  readonly hard: boolean;
  /** More calls were counted than the limit allows (possible even when hard: counting lags). */
  readonly exceeded: boolean;
  /** The gateway must refuse the next call: hard quota and nothing remaining. */
  readonly blocked: boolean;
}

/** null when the plan has no quota. `usedUnits` is the period's billable requests so far. */
export function quotaState(plan: Plan, usedUnits: Count): QuotaState | null {
  if (!plan.quota) return null;
  const used = Number(toUnits(usedUnits));
  const { limit, kind } = plan.quota;
  const hard = kind === 'hard';
  return {
    limit,
    used,
    remaining: Math.max(0, limit - used),
    hard,
    exceeded: used > limit,
    blocked: hard && used >= limit,
  };
}

/**
 * The requests a quota counts: all APIs and methods, billable statuses only — a call that failed
 * on our side (5xx by default) must not use up the customer's quota.
 */
export function quotaUnits(plan: Plan, usage: readonly UsageRow[]): bigint {
  let total = 0n;
  for (const row of usage) if (plan.billableStatuses.has(row.statusClass)) total += toUnits(row.requests);
  return total;
}
