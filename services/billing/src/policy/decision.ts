// The outcomes of a gateway decision (/v1/authorize) and how each is answered: every value of
// x-tollgate-decision and its HTTP status are defined here once. NGINX's auth_request understands
// only 2xx, 401 and 403 (anything else becomes a 500), so a gateway that says it is NGINX gets 403
// for every refusal but a missing or unknown key; its config turns quota/rate into 429 itself.
import type { QuotaState } from '@tollgate/pricing';
import type { LimiterState } from './rate-limiter.ts';
import type { RatePolicy } from './plan-policies.ts';

export const REFUSALS = ['quota', 'rate', 'not_entitled', 'suspended', 'blocked', 'unknown_consumer'] as const;
export type Refusal = (typeof REFUSALS)[number];
export const DECISIONS = ['allow', ...REFUSALS] as const;
export type DecisionCode = (typeof DECISIONS)[number];

const STATUS: Readonly<Record<DecisionCode, number>> = { allow: 200, quota: 429, rate: 429, not_entitled: 403, suspended: 403, blocked: 403, unknown_consumer: 401 };

/** The status a decision is answered with; `nginx` for a gateway whose auth_request knows 2xx, 401 and 403 only. */
export function decisionStatus(decision: DecisionCode, nginx: boolean): number {
  const status = STATUS[decision];
  return nginx && status === 429 ? 403 : status;
}

/** A rate limit that applied to the call, with its bucket after the decision (for the RateLimit header). */
export interface AppliedRate {
  readonly policy: RatePolicy;
  readonly state: LimiterState;
}

export interface Decision {
  readonly decision: DecisionCode;
  /** The consumer the call is attributed to; '' when none is known. */
  readonly consumer: string;
  /** Why, for the refusal's body and the log. */
  readonly message: string;
  /** Seconds until a call may succeed (quota, rate). */
  readonly retryAfterSeconds?: number;
  /** The consumer's hard or soft quota, when its plan has one (checked before the call). */
  readonly quota?: QuotaState;
  /** The rate limits that applied, when they were reached. */
  readonly rates?: readonly AppliedRate[];
}
