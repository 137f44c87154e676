// The pricing domain. Amounts of money are bigint minor units or exact Decimals, never numbers.
import type { StatusClass } from '@tollgate/schemas';
import type { Decimal } from './money.ts';

// The status classes are the usage table's (api_requests.status_class), defined in @tollgate/schemas.
export { STATUS_CLASSES, isStatusClass, type StatusClass } from '@tollgate/schemas';
export type StatusClassSet = ReadonlySet<StatusClass>;

/**
 * Everything but server errors: a 4xx is the caller's mistake and still cost us the work, a 5xx is
 * ours. 1xx is in so that protocol upgrades (101 for WebSockets) are not reported as lost revenue.
 */
export const DEFAULT_BILLABLE_STATUSES: StatusClassSet = new Set<StatusClass>(['1xx', '2xx', '3xx', '4xx']);

/** `bytes` is request + response bytes. */
export type MeterUnit = 'requests' | 'request_bytes' | 'response_bytes' | 'bytes';

export interface Tier {
  /** Inclusive upper bound in billable units; null only on the last tier (unbounded). */
  readonly upTo: number | null;
  readonly unitPrice: Decimal;
  /** Charged once when the tier is reached (graduated) or selected (volume). */
  readonly flatFee?: Decimal;
}

export type PriceModel =
  | { readonly model: 'per_unit'; readonly unitPrice: Decimal }
  /** Whole packages only: 1 001 calls at 1 000 per package is two packages. */
  | { readonly model: 'package'; readonly packageSize: number; readonly packagePrice: Decimal }
  /** Each tier's units at that tier's price. */
  | { readonly model: 'graduated'; readonly tiers: readonly Tier[] }
  /** All units at the price of the tier the total falls in. */
  | { readonly model: 'volume'; readonly tiers: readonly Tier[] };

export interface MeterFilter {
  readonly apis?: readonly string[];
  /** Upper case. */
  readonly methods?: readonly string[];
  readonly statusClasses?: readonly StatusClass[];
}

export interface Meter {
  readonly id: string;
  readonly description: string;
  readonly unit: MeterUnit;
  readonly filter: MeterFilter;
  /** Free units per period; price models apply to the units beyond (tiers count billable units). */
  readonly includedUnits: number;
  readonly price: PriceModel;
  /** API product → the model pricing that product's units instead of `price`. */
  readonly apiOverrides?: Readonly<Record<string, PriceModel>>;
}

export interface Quota {
  /** Billable requests per period, across all APIs. */
  readonly limit: number;
  /** soft: overage is billed by the meters; hard: the gateway refuses calls beyond the limit. */
  readonly kind: 'soft' | 'hard';
}

/**
 * What happens to usage of a period that arrives after the period was invoiced: next_invoice bills
 * it as an adjustment line on the customer's next invoice; report only reports it (billing's `late`).
 */
export type LateUsagePolicy = 'next_invoice' | 'report';
export const LATE_USAGE_POLICIES: readonly LateUsagePolicy[] = ['next_invoice', 'report'];
export const DEFAULT_LATE_USAGE: LateUsagePolicy = 'next_invoice';

/** The windows a rate limit may be counted over (plans file `rate_limits[].per`). */
export const RATE_LIMIT_WINDOWS = ['second', 'minute', 'hour', 'day'] as const;
export type RateLimitWindow = (typeof RATE_LIMIT_WINDOWS)[number];
export const RATE_LIMIT_WINDOW_SECONDS: Readonly<Record<RateLimitWindow, number>> = { second: 1, minute: 60, hour: 3_600, day: 86_400 };

/** At most `limit` calls per `per`, for one consumer: enforced by the gateway, never billed. */
export interface RateLimit {
  readonly limit: number;
  readonly per: RateLimitWindow;
  /** API products whose calls count against this limit, together (one budget); omitted = every API. */
  readonly apis?: readonly string[];
}

interface AlertBase {
  /** Stable within the plan, e.g. `quota:80%`, `included_units:calls:80%`, `spend:500.00`: part of the dedup key of the events it raises. */
  readonly key: string;
  /** The threshold as the plans file wrote it, normalised: `80%`, `500.00`. */
  readonly at: string;
}

/** A usage alert of a plan (plans file `alerts:`); thresholds are worked out in alerts.ts. */
export type UsageAlert =
  | (AlertBase & { readonly of: 'quota'; readonly percent: Decimal })
  | (AlertBase & { readonly of: 'included_units'; readonly meterId: string; readonly percent: Decimal })
  | (AlertBase & { readonly of: 'spend'; readonly amountMinor: bigint });

export type UsageAlertKind = UsageAlert['of'];

export interface Plan {
  readonly id: string;
  readonly name: string;
  /** ISO 4217, upper case. */
  readonly currency: string;
  /** Calendar month; the only period supported by plan file version 1. */
  readonly period: 'month';
  /** Minor units, exact. */
  readonly baseFee?: bigint;
  readonly billableStatuses: StatusClassSet;
  readonly quota?: Quota;
  /** Each enforced on its own; the strictest refuses. Omitted when the plan has none. */
  readonly rateLimits?: readonly RateLimit[];
  /** API products the plan entitles; omitted = every API. */
  readonly apis?: readonly string[];
  readonly meters: readonly Meter[];
  /** Absent on plans built in code: DEFAULT_LATE_USAGE. The plans file always sets it. */
  readonly lateUsage?: LateUsagePolicy;
  /** Usage alerts (plans file `alerts:`), in file order; absent when the plan has none. */
  readonly alerts?: readonly UsageAlert[];
}

export interface PlanCatalog {
  readonly version: 1;
  /** In file order. */
  readonly plans: ReadonlyMap<string, Plan>;
}

export type Count = number | bigint;

/** Usage of one customer in one period, aggregated by (api, method, status class). */
export interface UsageRow {
  readonly api: string;
  readonly method: string;
  readonly statusClass: StatusClass;
  readonly requests: Count;
  readonly requestBytes: Count;
  readonly responseBytes: Count;
}

/** One priced quantity: the meter's default-priced usage, or one overridden API's usage. */
export interface LineAmount {
  readonly units: bigint;
  /** Included units consumed by this line. */
  readonly includedUnits: bigint;
  readonly billableUnits: bigint;
  readonly amountMinor: bigint;
  readonly unitPriceDescription: string;
}

export interface UsageLine extends LineAmount {
  readonly kind: 'usage';
  readonly meterId: string;
  readonly description: string;
  /** Set on lines priced by an API override. */
  readonly api?: string;
  /** Set when the invoice prices usage under several plans (plan-assignment.ts): the plan of this line. */
  readonly planId?: string;
}

/** The base fee's line key (ledger, Stripe metadata): reserved, no meter may be called this. */
export const BASE_FEE_LINE_KEY = 'base_fee';

export interface BaseFeeLine {
  readonly kind: 'base_fee';
  readonly description: string;
  readonly amountMinor: bigint;
}

export type InvoiceLine = BaseFeeLine | UsageLine;

export interface InvoiceDraft {
  readonly planId: string;
  readonly currency: string;
  readonly lines: readonly InvoiceLine[];
  /** Sum of the (already rounded) line amounts, so the lines always add up to it. */
  readonly totalMinor: bigint;
  /** What calls with non-billable statuses (5xx by default) would have added to the total. */
  readonly lostRevenueMinor: bigint;
}
