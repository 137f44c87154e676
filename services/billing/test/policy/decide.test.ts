// decide() over hand-made inputs: the order of the checks, what each refusal says, and that a
// refused call takes nothing from the rate buckets.
import { describe, expect, it } from 'vitest';
import type { ApiProduct } from '@tollgate/catalog';
import { parsePlansFile, quotaState, type Plan } from '@tollgate/pricing';
import { emptyConsumer, type ConsumerRecord } from '@tollgate/registry';
import { answerHeaders } from '../../src/policy/answer-headers.ts';
import { decide, type Caller, type DecisionInput } from '../../src/policy/decide.ts';
import { decisionStatus } from '../../src/policy/decision.ts';
import { planPolicies } from '../../src/policy/plan-policies.ts';
import { RateLimiter } from '../../src/policy/rate-limiter.ts';

const { plans } = parsePlansFile(
  `
version: 1
plans:
  trial:
    name: Trial
    currency: EUR
    quota: { limit: 100, kind: hard }
    rate_limits:
      - { limit: 5, per: second }
      - { limit: 2, per: minute, apis: [search] }
    apis: [orders, search]
    meters: []
  open:
    name: Open
    currency: EUR
    meters: []
`,
  'yaml',
);
const trial = plans.get('trial') as Plan;
/** Compiled once, as billing does per plans file: the limiter knows a plan's buckets by this list. */
const TRIAL = planPolicies(trial, 1);
const PERIOD_END = 30 * 86_400_000;
const product = (name: string): ApiProduct => ({ product: name, version: '', pathTemplate: '/', billable: true });
const registered = (over: Partial<ConsumerRecord> = {}): Caller => ({ kind: 'registered', record: { ...emptyConsumer('acme'), plan_id: 'trial', ...over } });

function input(over: Partial<DecisionInput> = {}): DecisionInput {
  return { caller: registered(), unknownConsumer: 'deny', policies: TRIAL, product: product('orders'), quota: quotaState(trial, 10) ?? undefined, periodEndMs: PERIOD_END, now: 0, ...over };
}

describe('decide', () => {
  it('allows a registered, entitled consumer within its limits', () => {
    const d = decide(input(), new RateLimiter());
    expect(d).toMatchObject({ decision: 'allow', consumer: 'acme', quota: { limit: 100, remaining: 90 } });
    expect(d.rates?.map((r) => [r.policy.id, r.state.remaining])).toEqual([['5-per-second', 4]]);
  });

  it('refuses callers it cannot name, or lets them through, as BILLING_UNKNOWN_CONSUMER says', () => {
    const limiter = new RateLimiter();
    expect(decide(input({ caller: { kind: 'anonymous' } }), limiter)).toMatchObject({ decision: 'unknown_consumer', consumer: '', message: 'the call carries no API key and names no consumer' });
    expect(decide(input({ caller: { kind: 'unknown_key' } }), limiter)).toMatchObject({ decision: 'unknown_consumer', message: 'the API key is not known' });
    expect(decide(input({ caller: { kind: 'unregistered', consumerId: 'ghost' } }), limiter)).toMatchObject({ decision: 'unknown_consumer', consumer: 'ghost', message: 'no consumer "ghost" in the registry' });
    expect(decide(input({ caller: { kind: 'unregistered', consumerId: 'ghost' }, unknownConsumer: 'allow' }), limiter)).toMatchObject({ decision: 'allow', consumer: 'ghost' });
    expect(limiter.size).toBe(0);
  });

  it('checks suspension, then blocks, then entitlement, then the quota, then rates', () => {
    const limiter = new RateLimiter();
    const spent = quotaState(trial, 100) ?? undefined;
    const all = { record: { ...emptyConsumer('acme'), plan_id: 'trial', status: 'suspended' as const, blocked_apis: ['orders'] } };
    expect(decide(input({ caller: { kind: 'registered', ...all }, quota: spent, product: product('billing') }), limiter)).toMatchObject({ decision: 'suspended', message: 'consumer acme is suspended' });
    expect(decide(input({ caller: registered({ blocked_apis: ['orders'] }), quota: spent }), limiter)).toMatchObject({ decision: 'blocked', message: 'consumer acme is blocked from API orders' });
    expect(decide(input({ product: product('billing'), quota: spent }), limiter)).toMatchObject({ decision: 'not_entitled', message: 'plan trial does not include API billing' });
    expect(decide(input({ product: undefined }), limiter)).toMatchObject({ decision: 'not_entitled', message: 'plan trial does not include calls outside the API catalog' });
    const quota = decide(input({ quota: spent, now: PERIOD_END - 90_500 }), limiter);
    expect(quota).toMatchObject({ decision: 'quota', retryAfterSeconds: 91, message: 'consumer acme used its 100 calls for this period' });
    expect(limiter.size).toBe(0);
  });

  it('a plan without apis entitles every API, and blocks hold whatever the plan', () => {
    const open = planPolicies(plans.get('open') as Plan, 1);
    expect(decide(input({ policies: open, quota: undefined, product: undefined }), new RateLimiter()).decision).toBe('allow');
    expect(decide(input({ policies: undefined, quota: undefined, caller: registered({ plan_id: 'gone', blocked_apis: ['orders'] }) }), new RateLimiter()).decision).toBe('blocked');
  });

  it('applies the rate limits that count the API, the strictest refusing, with Retry-After from its bucket', () => {
    const limiter = new RateLimiter();
    const search = (now: number) => decide(input({ product: product('search'), now }), limiter);
    expect([search(0).decision, search(0).decision]).toEqual(['allow', 'allow']);
    const refused = search(1_000);
    expect(refused).toMatchObject({ decision: 'rate', retryAfterSeconds: 29, message: 'consumer acme is over its rate limit 2-per-minute-search' });
    // orders has its own (per-second) budget only; the refused search call took none of it.
    expect(decide(input({ now: 1_000 }), limiter).rates?.map((r) => r.state.remaining)).toEqual([4]);
  });
});

describe('answers', () => {
  it('maps decisions to statuses; NGINX gets 403 for every refusal but 401', () => {
    expect(['allow', 'quota', 'rate', 'not_entitled', 'suspended', 'blocked', 'unknown_consumer'].map((d) => decisionStatus(d as never, false))).toEqual([200, 429, 429, 403, 403, 403, 401]);
    expect(['allow', 'quota', 'rate', 'not_entitled', 'suspended', 'blocked', 'unknown_consumer'].map((d) => decisionStatus(d as never, true))).toEqual([200, 403, 403, 403, 403, 403, 401]);
  });

  it('writes RateLimit-Policy and RateLimit as the IETF draft does, beside x-ratelimit-*', () => {
    const policies = TRIAL;
    const limiter = new RateLimiter();
    decide(input({ product: product('search') }), limiter);
    const d = decide(input({ product: product('search'), now: 0 }), limiter);
    const headers = answerHeaders(d, { replicas: 1, policies, periodSeconds: 2_592_000, periodEndMs: PERIOD_END, now: 0 });
    expect(headers).toEqual({
      'x-tollgate-decision': 'allow',
      'x-tollgate-consumer': 'acme',
      'x-ratelimit-limit': '100',
      'x-ratelimit-remaining': '90',
      'x-ratelimit-reset': '2592000',
      'ratelimit-policy': '"quota";q=100;w=2592000, "5-per-second";q=5;w=1, "2-per-minute-search";q=2;w=60',
      ratelimit: '"quota";r=90;t=2592000, "5-per-second";r=3;t=1, "2-per-minute-search";r=0;t=60',
    });
    const refused = decide(input({ product: product('search'), now: 0 }), limiter);
    expect(answerHeaders(refused, { replicas: 1, policies, periodSeconds: 2_592_000, periodEndMs: PERIOD_END, now: 0 })).toMatchObject({ 'x-tollgate-decision': 'rate', 'retry-after': '30' });
  });
});
