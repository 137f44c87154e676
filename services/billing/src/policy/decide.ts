// The policy decision for one gateway call, without I/O: who calls (registry record or not), the
// plan's policies, the API product the catalog named, the quota as last read plus the calls allowed
// since, and the rate limiter's buckets. Checks run from the most lasting refusal to the most
// passing one — identity, suspension, block, entitlement, hard quota, rate — and the rate buckets
// are only drawn from when every other check passed, so a refused call uses up nothing.
import type { ApiProduct } from '@tollgate/catalog';
import type { QuotaState } from '@tollgate/pricing';
import type { ConsumerRecord } from '@tollgate/registry';
import type { AppliedRate, Decision } from './decision.ts';
import type { PlanPolicies, RatePolicy } from './plan-policies.ts';
import type { LimiterState, RateLimiter } from './rate-limiter.ts';

/** Who the call is from, as far as the gateway's headers and the registry tell. */
export type Caller =
  | { readonly kind: 'registered'; readonly record: ConsumerRecord }
  /** Named by the gateway's consumer header, but not in the registry. */
  | { readonly kind: 'unregistered'; readonly consumerId: string }
  /** An API key no live key matches. */
  | { readonly kind: 'unknown_key' }
  /** Neither a consumer header nor an API key. */
  | { readonly kind: 'anonymous' };

export type UnknownConsumerPolicy = 'allow' | 'deny';

export interface DecisionInput {
  readonly caller: Caller;
  /** What happens to a caller that is not a registered consumer. */
  readonly unknownConsumer: UnknownConsumerPolicy;
  /** The consumer's plan; undefined when it has none the plans file knows (no policy applies). */
  readonly policies: PlanPolicies | undefined;
  /** Undefined when no catalog rule claims the call. */
  readonly product: ApiProduct | undefined;
  /** Undefined when the plan has no quota. */
  readonly quota: QuotaState | undefined;
  readonly periodEndMs: number;
  readonly now: number;
}

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

function unknown(caller: Exclude<Caller, { kind: 'registered' }>, policy: UnknownConsumerPolicy): Decision {
  const consumer = caller.kind === 'unregistered' ? caller.consumerId : '';
  if (policy === 'allow') return { decision: 'allow', consumer, message: 'not a registered consumer; allowed by BILLING_UNKNOWN_CONSUMER=allow' };
  const message =
    caller.kind === 'unregistered' ? `no consumer "${caller.consumerId}" in the registry` : caller.kind === 'unknown_key' ? 'the API key is not known' : 'the call carries no API key and names no consumer';
  return { decision: 'unknown_consumer', consumer, message };
}

export function decide(input: DecisionInput, limiter: RateLimiter): Decision {
  const { caller, policies, product, quota, now } = input;
  if (caller.kind !== 'registered') return unknown(caller, input.unknownConsumer);
  const { record } = caller;
  const consumer = record.consumer_id;
  if (record.status === 'suspended') return { decision: 'suspended', consumer, message: `consumer ${consumer} is suspended` };
  if (product && record.blocked_apis.includes(product.product)) return { decision: 'blocked', consumer, message: `consumer ${consumer} is blocked from API ${product.product}` };
  if (!policies) return { decision: 'allow', consumer, message: 'no plan: no policy applies' };

  const { plan, entitled } = policies;
  // A plan that lists its APIs entitles nothing else, including calls no catalog rule claims.
  if (entitled && !(product && entitled.has(product.product))) {
    const what = product ? `API ${product.product}` : 'calls outside the API catalog';
    return { decision: 'not_entitled', consumer, message: `plan ${plan.id} does not include ${what}` };
  }
  if (quota?.blocked) {
    return { decision: 'quota', consumer, message: `consumer ${consumer} used its ${quota.limit} calls for this period`, retryAfterSeconds: seconds(input.periodEndMs - now), quota };
  }

  const applied: number[] = [];
  policies.rates.forEach((r, i) => {
    if (r.apis === undefined || (product !== undefined && r.apis.has(product.product))) applied.push(i);
  });
  const { allowed, states } = limiter.take(consumer, policies.rates, applied, now);
  const rates: AppliedRate[] = applied.map((p, i) => ({ policy: policies.rates[p] as RatePolicy, state: states[i] as LimiterState }));
  const common = { consumer, rates, ...(quota ? { quota } : {}) };
  if (allowed) return { decision: 'allow', message: 'allowed', ...common };
  const refusing = rates.filter((r) => r.state.retryAfterMs > 0);
  return {
    decision: 'rate',
    message: `consumer ${consumer} is over its rate limit ${refusing.map((r) => r.policy.id).join(', ')}`,
    retryAfterSeconds: seconds(Math.max(...refusing.map((r) => r.state.retryAfterMs))),
    ...common,
  };
}
