// The headers a decision is answered with. x-tollgate-decision and x-tollgate-consumer are for the
// gateway (to log, forward, and map refusals); Retry-After, RateLimit-Policy and RateLimit (IETF
// draft-ietf-httpapi-ratelimit-headers-12: `"name";q=<quota>;w=<window s>` and
// `"name";r=<remaining>;t=<seconds to reset>`) and the older x-ratelimit-* are for the caller, when
// the gateway passes them on.
//
// With several replicas each enforces its share of a rate limit (plan-policies.ts); the RateLimit
// field states the plan's limit and this replica's remaining calls times the replicas — what is
// left if the calls are spread evenly, the premise of the share.
import type { AppliedRate, Decision } from './decision.ts';
import type { PlanPolicies } from './plan-policies.ts';

export interface AnswerContext {
  readonly replicas: number;
  /** The policies of the consumer's plan, for the RateLimit-Policy field. */
  readonly policies: PlanPolicies | undefined;
  readonly periodSeconds: number;
  readonly periodEndMs: number;
  readonly now: number;
}

export function answerHeaders(d: Decision, c: AnswerContext): Record<string, string> {
  const headers: Record<string, string> = { 'x-tollgate-decision': d.decision };
  if (d.consumer !== '') headers['x-tollgate-consumer'] = d.consumer;
  if (d.retryAfterSeconds !== undefined) headers['retry-after'] = String(d.retryAfterSeconds);

  const policy: string[] = [];
  const state: string[] = [];
  if (d.quota) {
    const reset = Math.max(0, Math.ceil((c.periodEndMs - c.now) / 1000));
    if (d.decision !== 'rate') xRateLimit(headers, d.quota.limit, d.quota.remaining, reset);
    policy.push(`"quota";q=${d.quota.limit};w=${c.periodSeconds}`);
    state.push(`"quota";r=${d.quota.remaining};t=${reset}`);
  }
  if (c.policies && c.policies.rates.length > 0) policy.push(c.policies.ratePolicyHeader);
  // x-ratelimit-* name one limit: the quota (as before rate limits existed) unless a rate limit
  // refused, else the rate limit closest to refusing.
  let named: AppliedRate | undefined;
  for (const rate of d.rates ?? []) {
    state.push(`"${rate.policy.id}";r=${shown(rate, c.replicas)};t=${Math.ceil(rate.state.resetMs / 1000)}`);
    if (named === undefined || closerToRefusal(rate, named)) named = rate;
  }
  if (named && (d.decision === 'rate' || !d.quota)) xRateLimit(headers, named.policy.limit, shown(named, c.replicas), Math.ceil(named.state.resetMs / 1000));
  if (policy.length > 0) headers['ratelimit-policy'] = policy.join(', ');
  if (state.length > 0) headers.ratelimit = state.join(', ');
  return headers;
}

/** Calls left of the plan's limit, if the calls are spread evenly over the replicas. */
const shown = (rate: AppliedRate, replicas: number): number => Math.min(rate.policy.limit, rate.state.remaining * replicas);

/** Refusing for longer, or with less of its limit left. */
function closerToRefusal(a: AppliedRate, b: AppliedRate): boolean {
  if (a.state.retryAfterMs !== b.state.retryAfterMs) return a.state.retryAfterMs > b.state.retryAfterMs;
  return a.state.remaining / a.policy.limit < b.state.remaining / b.policy.limit;
}

function xRateLimit(headers: Record<string, string>, limit: number, remaining: number, reset: number): void {
  headers['x-ratelimit-limit'] = String(limit);
  headers['x-ratelimit-remaining'] = String(remaining);
  headers['x-ratelimit-reset'] = String(reset);
}
