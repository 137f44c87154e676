// The JSON schemas of billing's answers, for the route schemas: they describe the API (OpenAPI at
// /openapi.json) and serialize the answers, so each one lists every field its route answers
// today. Shapes that grow with the ledger or a run (its rows, a run's lines) stay open
// (additionalProperties) and name the fields a client relies on.
const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const strings = { type: 'array', items: str } as const;
/** Minor units per currency code. */
const perCurrency = { type: 'object', additionalProperties: { type: 'integer' }, description: 'minor units by currency code' } as const;
/** Minor units as a decimal string (exact). */
const minorText = { type: 'string', pattern: '^-?[0-9]+$' } as const;

export const QUOTA_ANSWER = {
  description: 'the consumer\'s quota use this period',
  type: 'object',
  required: ['consumer', 'plan', 'used', 'limit', 'remaining', 'hard', 'exceeded', 'period_end'],
  additionalProperties: false,
  properties: {
    consumer: str,
    plan: str,
    used: int,
    limit: { type: ['integer', 'null'], description: 'null: the plan has no quota' },
    remaining: { type: ['integer', 'null'] },
    hard: { type: 'boolean', description: 'a hard quota refuses calls past the limit' },
    exceeded: { type: 'boolean' },
    period_end: { ...str, description: 'ISO 8601' },
  },
} as const;

export const CONSUMER = {
  type: 'object',
  required: ['consumer_id', 'org_id', 'name', 'email', 'plan_id', 'stripe_customer_id', 'tags', 'metadata', 'status', 'blocked_apis'],
  additionalProperties: false,
  properties: {
    consumer_id: str,
    org_id: str,
    name: str,
    email: str,
    plan_id: str,
    stripe_customer_id: str,
    tags: strings,
    metadata: { type: 'object', additionalProperties: str },
    status: { type: 'string', enum: ['active', 'suspended'], description: 'a suspended consumer is refused every call at the gateway' },
    blocked_apis: { ...strings, description: 'API products refused to this consumer whatever its plan entitles' },
  },
} as const;

/** The body of PUT /v1/admin/consumers/{id}: checked by the registry's rule (its own messages), described here. */
export const CONSUMER_UPDATE = {
  description: 'the fields to set; absent fields keep their value (a new consumer starts from empty ones)',
  content: {
    'application/json': {
      schema: {
        type: 'object',
        additionalProperties: false,
        properties: { ...Object.fromEntries(Object.entries(CONSUMER.properties).filter(([k]) => k !== 'consumer_id')), plan_id: { ...str, description: 'a plan of the plans file, or empty' }, email: { ...str, description: 'an email address, or empty' } },
      },
    },
  },
} as const;

export const API_KEY = {
  type: 'object',
  required: ['key_id', 'consumer_id', 'created_at'],
  additionalProperties: false,
  properties: { key_id: { ...str, description: 'public handle of the key; reveals nothing of it' }, consumer_id: str, created_at: { ...str, description: 'ISO 8601' } },
} as const;

export const NEW_API_KEY = {
  description: 'the key in clear, given once: it is stored only as its credential HMAC',
  content: { 'application/json': { schema: { type: 'object', required: ['key'], properties: { key: { type: 'string', description: 'visible ASCII, no spaces' } } } } },
} as const;

const RUN_LINE = {
  type: 'object',
  additionalProperties: true,
  properties: { key: str, meter: str, api: str, description: str, units: int, included_units: int, billable_units: int, amount_minor: int, adjusts_period: str },
} as const;

export const RUN_RESULT = {
  description: 'what the run did, per customer',
  type: 'object',
  required: ['run_id', 'period', 'dry_run', 'customers', 'totals', 'unbilled', 'late'],
  additionalProperties: true,
  properties: {
    run_id: str,
    period: str,
    dry_run: { type: 'boolean' },
    customers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          consumer_id: str,
          plan_id: str,
          currency: str,
          outcome: { type: 'string', enum: ['invoiced', 'already_invoiced', 'failed', 'nothing_to_bill', 'draft', 'no_plan'] },
          stripe_invoice_id: str,
          amount_minor: int,
          lost_revenue_minor: int,
          lines: { type: 'array', items: RUN_LINE },
          reason: str,
        },
      },
    },
    totals: {
      type: 'object',
      additionalProperties: true,
      properties: { customers: int, invoices: int, already_invoiced: int, failures: int, amount_minor: perCurrency, lost_revenue_minor: perCurrency },
    },
    unbilled: { type: 'object', additionalProperties: true, properties: { customers: int, events: int } },
    late: { type: 'object', additionalProperties: true, properties: { customers: int, events: int, amount_minor: perCurrency } },
  },
} as const;

/** A ledger row: the ledger's columns (it may gain some), with the ones a client reads named. */
const ledgerRow = (description: string, properties: Record<string, object>) => ({ type: 'object', description, additionalProperties: true, properties }) as const;

export const RUNS_AND_INVOICES = {
  description: 'the period\'s runs and its invoices in the ledger',
  type: 'object',
  required: ['runs', 'invoices'],
  additionalProperties: false,
  properties: {
    runs: { type: 'array', items: ledgerRow('a billing run', { run_id: str, period: str, dry_run: { type: 'boolean' }, trigger: str, started_at: str, status: { type: 'string', enum: ['running', 'finished', 'failed'] }, summary: str }) },
    invoices: {
      type: 'array',
      items: ledgerRow('a consumer\'s invoice for the period', { period: str, consumer_id: str, run_id: str, plan_id: str, state: str, stripe_invoice_id: str, currency: str, amount_minor: int, lost_revenue_minor: int, usage_requests: int }),
    },
  },
} as const;

export const RECONCILE_RESULT = {
  description: 'the period\'s ledger, repriced usage and Stripe invoices side by side, per customer',
  type: 'object',
  required: ['period', 'customers', 'difference_minor', 'unexplained', 'ok'],
  additionalProperties: true,
  properties: {
    period: str,
    customers: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          consumer_id: str,
          currency: str,
          state: str,
          stripe_invoice_ids: strings,
          invoiced_minor: int,
          ledger_minor: int,
          repriced_minor: int,
          late_billed_minor: int,
          late_pending_minor: int,
          late_pending_events: int,
          difference_minor: int,
          notes: strings,
          ok: { type: 'boolean' },
        },
      },
    },
    difference_minor: perCurrency,
    unexplained: { ...strings, description: 'customers with an unexplained difference' },
    ok: { type: 'boolean' },
  },
} as const;

export const INVOICE_PREVIEW = {
  description: 'the invoice a billing run would make now',
  type: 'object',
  required: ['consumer_id', 'period', 'plan_id', 'currency', 'lines', 'total_minor', 'lost_revenue_minor', 'quota', 'included_units'],
  additionalProperties: false,
  properties: {
    consumer_id: str,
    period: str,
    plan_id: str,
    currency: { ...str, description: 'empty when nothing is priceable' },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        required: ['key', 'description', 'units', 'included_units_used', 'billable_units', 'amount_minor'],
        additionalProperties: false,
        properties: { key: str, description: str, meter: str, api: str, plan: str, units: minorText, included_units_used: minorText, billable_units: minorText, amount_minor: minorText },
      },
    },
    total_minor: minorText,
    lost_revenue_minor: minorText,
    quota: {
      anyOf: [
        { type: 'null' },
        { type: 'object', required: ['limit', 'kind', 'used', 'remaining'], additionalProperties: false, properties: { limit: int, kind: { type: 'string', enum: ['soft', 'hard'] }, used: int, remaining: int } },
      ],
      description: 'the current plan\'s quota; null without one',
    },
    included_units: {
      type: 'array',
      items: { type: 'object', required: ['plan', 'meter', 'included_units', 'used'], additionalProperties: false, properties: { plan: str, meter: str, included_units: minorText, used: minorText } },
    },
    unpriced: { ...str, description: 'why some usage is not on the invoice' },
  },
} as const;

export const WEBHOOK_ENDPOINT_PROPERTIES = {
  id: str,
  url: str,
  events: { ...strings, description: 'event types delivered; empty: every type' },
  description: str,
  created_at: { ...str, description: 'ISO 8601' },
} as const;
const endpointRequired = ['id', 'url', 'events', 'description', 'created_at'];

export const WEBHOOK_ENDPOINT = { type: 'object', required: endpointRequired, additionalProperties: false, properties: WEBHOOK_ENDPOINT_PROPERTIES } as const;
export const NEW_WEBHOOK_ENDPOINT = {
  description: 'the endpoint, with its signing secret (shown only here)',
  type: 'object',
  required: [...endpointRequired, 'secret'],
  additionalProperties: false,
  properties: { ...WEBHOOK_ENDPOINT_PROPERTIES, secret: str },
} as const;

export const STRIPE_WEBHOOK_ANSWER = {
  description: 'received; recorded is false for an event type billing does not record or a repeated delivery',
  type: 'object',
  required: ['received', 'recorded'],
  additionalProperties: false,
  properties: { received: { type: 'boolean' }, recorded: { type: 'boolean' } },
} as const;
