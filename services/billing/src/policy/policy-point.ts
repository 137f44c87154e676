// The policy decision point behind /v1/authorize: turns what the gateway says about a call (who,
// which host and path) into a decision, with the state decisions share — the quota book (registry,
// usage, API key owners), the plans' compiled policies and the rate limiter — and counts an allowed
// call against a hard quota at once. HTTP stays in routes/authorize.ts.
import { resolveApiProduct, type ApiProduct, type CatalogMatcher } from '@tollgate/catalog';
import type { Period } from '@tollgate/pricing';
import type { QuotaBook } from '../quota-book.ts';
import { decide, type Caller, type UnknownConsumerPolicy } from './decide.ts';
import type { Decision } from './decision.ts';
import type { PlanPolicies } from './plan-policies.ts';
import type { RateLimiter } from './rate-limiter.ts';

export interface PolicyPointOptions {
  book: QuotaBook;
  policies: ReadonlyMap<string, PlanPolicies>;
  limiter: RateLimiter;
  catalog: CatalogMatcher;
  /** Credential HMAC under the tap's key: how a presented API key is looked up. */
  keyHmac: (key: string) => string;
  /** BILLING_UNKNOWN_CONSUMER; undefined: deny once any API key exists, allow before. */
  unknownConsumer: UnknownConsumerPolicy | undefined;
  now?: () => number;
}

export interface CallToDecide {
  method: string;
  host: string;
  /** Path (a query string is ignored). */
  path: string;
  /** The gateway's consumer header, when set. */
  consumerId?: string | undefined;
  apiKey?: string | undefined;
}

export interface Decided {
  decision: Decision;
  caller: Caller;
  policies: PlanPolicies | undefined;
  product: ApiProduct | undefined;
  now: number;
}

export class PolicyPoint {
  private readonly now: () => number;

  constructor(private readonly o: PolicyPointOptions) {
    this.now = o.now ?? Date.now;
  }

  get period(): Period {
    return this.o.book.currentPeriod;
  }

  /** The policy applied to callers that are not registered consumers, as things stand now. */
  get unknownConsumer(): UnknownConsumerPolicy {
    return this.o.unknownConsumer ?? (this.o.book.keysConfigured ? 'deny' : 'allow');
  }

  identify(consumerId: string | undefined, apiKey: string | undefined): Caller {
    const { book } = this.o;
    // The gateway's own authentication comes first: it named the consumer.
    if (consumerId) {
      const record = book.consumer(consumerId);
      return record ? { kind: 'registered', record } : { kind: 'unregistered', consumerId };
    }
    if (apiKey) {
      const owner = book.keyOwner(this.o.keyHmac(apiKey));
      const record = owner === undefined ? undefined : book.consumer(owner);
      return record ? { kind: 'registered', record } : { kind: 'unknown_key' };
    }
    return { kind: 'anonymous' };
  }

  decide(call: CallToDecide): Decided {
    const { book } = this.o;
    const now = this.now();
    const caller = this.identify(call.consumerId, call.apiKey);
    const record = caller.kind === 'registered' ? caller.record : undefined;
    const plan = book.plan(record);
    const policies = plan ? this.o.policies.get(plan.id) : undefined;
    const product = resolveApiProduct(this.o.catalog, { host: call.host, path: call.path, method: call.method });
    const quota = record && plan ? book.quotaOf(record.consumer_id, plan) : undefined;
    const decision = decide({ caller, unknownConsumer: this.unknownConsumer, policies, product, quota, periodEndMs: book.currentPeriod.end.getTime(), now }, this.o.limiter);
    // Counted only where the rollup will count it: a hard quota, and a product that is billed.
    if (decision.decision === 'allow' && quota?.hard && (product?.billable ?? true)) book.recordAllowed(decision.consumer, now);
    return { decision, caller, policies, product, now };
  }
}
