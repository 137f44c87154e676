// Query parameters: each named query declares the ones it takes (name, type, required, default),
// and every request is validated against that declaration before any SQL runs. Values reach
// ClickHouse only as query parameters ({name:Type} placeholders), never as SQL text.

export type Interval = 'minute' | 'hour' | 'day';
export const INTERVALS: readonly Interval[] = ['minute', 'hour', 'day'];

export type ParamName = 'from' | 'to' | 'interval' | 'api' | 'consumer' | 'limit';

export interface ParamSpec {
  name: ParamName;
  type: 'datetime' | 'interval' | 'string' | 'integer';
  required: boolean;
  /** Shown in the query list; datetimes also take `now` and `now-<n>m|h|d`. */
  default?: string | number;
  description: string;
  min?: number;
  max?: number;
  values?: readonly string[];
}

/** Validated values; `from`/`to` always present (defaults `now-24h` and `now`). */
export interface QueryParams {
  from: Date;
  to: Date;
  interval: Interval;
  api?: string;
  consumer?: string;
  limit: number;
}

export class ParamError extends Error {
  readonly statusCode = 400;
  readonly code = 'invalid_parameter';
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`parameter ${param}: ${message}`);
    this.name = 'ParamError';
  }
}

export const MAX_LIMIT = 1000;
/** The longest range any query scans: the usage retention of the default migration target. */
export const MAX_RANGE_DAYS = 400;

export const P = {
  from: { name: 'from', type: 'datetime', required: false, default: 'now-24h', description: 'start of the time range, inclusive (ISO 8601, UTC unless an offset is given)' },
  to: { name: 'to', type: 'datetime', required: false, default: 'now', description: 'end of the time range, exclusive (ISO 8601)' },
  interval: { name: 'interval', type: 'interval', required: false, default: 'hour', values: INTERVALS, description: 'bucket size of the time series' },
  api: { name: 'api', type: 'string', required: false, description: 'only this API product' },
  consumer: { name: 'consumer', type: 'string', required: false, description: 'only this consumer id' },
  limit: (fallback: number): ParamSpec => ({ name: 'limit', type: 'integer', required: false, default: fallback, min: 1, max: MAX_LIMIT, description: 'maximum number of rows' }),
} satisfies Record<string, ParamSpec | ((n: number) => ParamSpec)>;

const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;
const RELATIVE = /^now(?:-(\d{1,6})([smhd]))?$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function parseDateTime(param: string, text: string, now: Date): Date {
  const relative = RELATIVE.exec(text);
  if (relative) {
    const [, amount, unit] = relative;
    return amount === undefined ? now : new Date(now.getTime() - Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
  }
  if (!ISO.test(text)) throw new ParamError(param, `${JSON.stringify(text)} is not an ISO 8601 date-time such as 2025-01-31T00:00:00Z (or now, now-24h)`);
  // A date-time without an offset is UTC, whatever the server's zone.
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10;
  const value = new Date(text.length === 10 ? `${text}T00:00:00Z` : hasZone ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
  if (Number.isNaN(value.getTime())) throw new ParamError(param, `${JSON.stringify(text)} is not a valid date-time`);
  return value;
}

/**
 * Validates raw query-string values against a query's declared parameters. Unknown parameters
 * are refused (a typo such as `limt` would otherwise be silently ignored).
 */
export function parseParams(specs: readonly ParamSpec[], raw: Record<string, unknown>, now = new Date()): QueryParams {
  const known = new Map(specs.map((s) => [s.name, s]));
  for (const name of Object.keys(raw)) {
    if (!known.has(name as ParamName)) {
      throw new ParamError(name, `is not a parameter of this query (expected one of: ${specs.map((s) => s.name).join(', ')})`);
    }
  }
  const values: Partial<Record<ParamName, string>> = {};
  for (const spec of specs) {
    const value = raw[spec.name];
    if (Array.isArray(value)) throw new ParamError(spec.name, 'is given more than once');
    if (value === undefined || value === '') {
      if (spec.required) throw new ParamError(spec.name, 'is required');
      if (spec.default !== undefined) values[spec.name] = String(spec.default);
      continue;
    }
    if (typeof value !== 'string') throw new ParamError(spec.name, 'must be a string');
    if (value.length > 200) throw new ParamError(spec.name, 'is longer than 200 characters');
    values[spec.name] = value;
  }

  const from = parseDateTime('from', values.from ?? 'now-24h', now);
  const to = parseDateTime('to', values.to ?? 'now', now);
  if (from.getTime() >= to.getTime()) throw new ParamError('from', `must be before to (${from.toISOString()} >= ${to.toISOString()})`);
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * UNIT_MS.d) throw new ParamError('from', `the range must not exceed ${MAX_RANGE_DAYS} days`);

  const interval = values.interval ?? 'hour';
  if (!(INTERVALS as readonly string[]).includes(interval)) throw new ParamError('interval', `must be one of ${INTERVALS.join(', ')} (got ${JSON.stringify(interval)})`);

  let limit = 100;
  if (values.limit !== undefined) {
    const limitSpec = known.get('limit');
    const n = /^\d{1,7}$/.test(values.limit) ? Number(values.limit) : NaN;
    const min = limitSpec?.min ?? 1;
    const max = limitSpec?.max ?? MAX_LIMIT;
    if (!Number.isInteger(n) || n < min || n > max) throw new ParamError('limit', `must be an integer between ${min} and ${max} (got ${JSON.stringify(values.limit)})`);
    limit = n;
  }
  const params: QueryParams = { from, to, interval: interval as Interval, limit };
  if (values.api !== undefined) params.api = values.api;
  if (values.consumer !== undefined) params.consumer = values.consumer;
  return params;
}

/** `2025-01-31 00:00:00.000`, the text form of a `DateTime64(3, 'UTC')` query parameter. */
export function chDateTime(value: Date): string {
  return value.toISOString().replace('T', ' ').replace('Z', '');
}
