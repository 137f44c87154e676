// A plan's policies in the form a decision uses them: each rate limit with its limiter parameters
// for this process's share (BILLING_REPLICAS), its name in the RateLimit-Policy header, and the
// entitled APIs as a set. Compiled once per plans file, since every decision reads them.
import { RATE_LIMIT_WINDOW_SECONDS, type Plan, type PlanCatalog, type RateLimit } from '@tollgate/pricing';
import type { LimiterPolicy } from './rate-limiter.ts';

export interface RatePolicy extends LimiterPolicy {
  /** The policy's name in RateLimit-Policy / RateLimit ("5-per-second", "100-per-minute-search"). */
  readonly id: string;
  /** The limit as the plan states it (all replicas together). */
  readonly limit: number;
  readonly windowSeconds: number;
  /** Undefined: every API counts. */
  readonly apis: ReadonlySet<string> | undefined;
}

export interface PlanPolicies {
  readonly plan: Plan;
  readonly rates: readonly RatePolicy[];
  /** Undefined: every API is entitled. */
  readonly entitled: ReadonlySet<string> | undefined;
  /** The rate limits' part of RateLimit-Policy, written once. */
  readonly ratePolicyHeader: string;
}

/**
 * Each of `replicas` deciding processes enforces limit/replicas: with calls spread evenly over the
 * replicas the sum is the plan's limit; a replica never lets less than one call through per
 * window × replicas / limit, and a burst of at least one.
 */
export function ratePolicy(rate: RateLimit, id: string, replicas: number): RatePolicy {
  const windowSeconds = RATE_LIMIT_WINDOW_SECONDS[rate.per];
  const emissionMs = (windowSeconds * 1000 * replicas) / rate.limit;
  return {
    id,
    limit: rate.limit,
    windowSeconds,
    apis: rate.apis ? new Set(rate.apis) : undefined,
    emissionMs,
    toleranceMs: Math.max(0, windowSeconds * 1000 - emissionMs),
  };
}

export function planPolicies(plan: Plan, replicas: number): PlanPolicies {
  const seen = new Set<string>();
  const rates = (plan.rateLimits ?? []).map((rate, i) => {
    const name = `${rate.limit}-per-${rate.per}${rate.apis ? `-${rate.apis.join('-')}` : ''}`;
    const id = seen.has(name) ? `${name}-${i}` : name;
    seen.add(id);
    return ratePolicy(rate, id, replicas);
  });
  return {
    plan,
    rates,
    entitled: plan.apis ? new Set(plan.apis) : undefined,
    ratePolicyHeader: rates.map((r) => `"${r.id}";q=${r.limit};w=${r.windowSeconds}`).join(', '),
  };
}

export function compilePlanPolicies(catalog: PlanCatalog, replicas: number): ReadonlyMap<string, PlanPolicies> {
  return new Map([...catalog.plans].map(([id, plan]) => [id, planPolicies(plan, replicas)]));
}
