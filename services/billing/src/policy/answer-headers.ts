// The headers a decision is answered with. x-tollgate-decision and x-tollgate-consumer are for the
// gateway (to log, forward, and map refusals); Retry-After, RateLimit-Policy and RateLimit (IETF
// draft-ietf-httpapi-ratelimit-headers-12: `"name";q=<quota>;w=<window s>` and
// `"name";r=<remaining>;t=<seconds to reset>`) and the older x-ratelimit-* are for the caller, when
// the gateway passes them on.
//
// With several replicas each enforces its share of a rate limit (plan-policies.ts); the RateLimit
// field states the plan's limit and this replica's remaining calls times the replicas — what is
// left if the calls are spread evenly, the premise of the share.
import type { Decision } from './decision.ts';
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
    headers['x-ratelimit-limit'] = String(d.quota.limit);
    headers['x-ratelimit-remaining'] = String(d.quota.remaining);
    headers['x-ratelimit-reset'] = String(reset);
    policy.push(`"quota";q=${d.quota.limit};w=${c.periodSeconds}`);
    state.push(`"quota";r=${d.quota.remaining};t=${reset}`);
  }
  if (c.policies && c.policies.rates.length > 0) policy.push(c.policies.ratePolicyHeader);
  for (const { policy: p, state: s } of d.rates ?? []) {
    state.push(`"${p.id}";r=${Math.min(p.limit, s.remaining * c.replicas)};t=${Math.ceil(s.resetMs / 1000)}`);
  }
  if (policy.length > 0) headers['ratelimit-policy'] = policy.join(', ');
  if (state.length > 0) headers.ratelimit = state.join(', ');
  return headers;
}
