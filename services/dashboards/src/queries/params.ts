// Query parameters: each named query declares the ones it takes (name, type, required, default);
// the declaration becomes the route's JSON schema (querySchema), which validates every request
// before any SQL runs, and resolveParams then reads relative times against the clock and checks
// what a schema cannot (from before to, the longest range). Values reach ClickHouse only as query
// parameters ({name:Type} placeholders), never as SQL text.
import { compileInput, HttpError, type InputFormats } from '@tollgate/platform';

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

/** A refused query parameter: 400 `invalid_parameter`, naming it. */
export class ParamError extends HttpError {
  static readonly code = 'invalid_parameter';
  constructor(param: string, problem: string) {
    super(ParamError.code, 400, `parameter ${param}: ${problem}`, { param });
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

function dateTimeProblem(text: string): string | undefined {
  if (RELATIVE.test(text)) return undefined;
  if (!ISO.test(text)) return `${JSON.stringify(text)} is not an ISO 8601 date-time such as 2025-01-31T00:00:00Z (or now, now-24h)`;
  return Number.isNaN(isoDate(text).getTime()) ? `${JSON.stringify(text)} is not a valid date-time` : undefined;
}

/** A date-time without an offset is UTC, whatever the server's zone. */
function isoDate(text: string): Date {
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/.test(text) && text.length > 10;
  return new Date(text.length === 10 ? `${text}T00:00:00Z` : hasZone ? text.replace(' ', 'T') : `${text.replace(' ', 'T')}Z`);
}

export function parseDateTime(param: string, text: string, now: Date): Date {
  const problem = dateTimeProblem(text);
  if (problem) throw new ParamError(param, problem);
  const relative = RELATIVE.exec(text);
  if (!relative) return isoDate(text);
  const [, amount, unit] = relative;
  return amount === undefined ? now : new Date(now.getTime() - Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
}

/** The `relative-date-time` format of the query schemas: an ISO 8601 date-time, `now` or `now-<n>s|m|h|d`. */
export const DASHBOARD_FORMATS: InputFormats = {
  'relative-date-time': { validate: (text) => dateTimeProblem(text) === undefined, message: 'must be an ISO 8601 date-time such as 2025-01-31T00:00:00Z (or now, now-24h)' },
};

const MAX_TEXT = 200;

function propertySchema(spec: ParamSpec): object {
  const common = { description: spec.description, ...(spec.default === undefined ? {} : { default: spec.default }) };
  switch (spec.type) {
    case 'datetime':
      return { type: 'string', format: 'relative-date-time', maxLength: MAX_TEXT, ...common };
    case 'interval':
      return { type: 'string', enum: spec.values ?? INTERVALS, ...common };
    case 'integer':
      return { type: 'integer', minimum: spec.min ?? 1, maximum: spec.max ?? MAX_LIMIT, ...common };
    case 'string':
      return { type: 'string', maxLength: MAX_TEXT, ...common };
  }
}

/**
 * The query string of a query's route: its declared parameters with their defaults; any other is
 * refused (a typo such as `limt` would otherwise be silently ignored).
 */
export function querySchema(specs: readonly ParamSpec[]): object {
  return {
    type: 'object',
    additionalProperties: false,
    required: specs.filter((s) => s.required).map((s) => s.name),
    properties: Object.fromEntries(specs.map((s) => [s.name, propertySchema(s)])),
  };
}

/** An empty value (`?api=&limit=`) means the parameter was not given: its default applies. */
export function withoutEmptyValues(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
}

/** What a query string holds once its schema has validated it and filled the defaults. */
export type ValidQuery = Partial<Record<ParamName, string | number>>;

/** Relative times read against `now`, and the rules between parameters that a schema cannot state. */
export function resolveParams(valid: ValidQuery, now: Date): QueryParams {
  const from = parseDateTime('from', String(valid.from ?? 'now-24h'), now);
  const to = parseDateTime('to', String(valid.to ?? 'now'), now);
  if (from.getTime() >= to.getTime()) throw new ParamError('from', `must be before to (${from.toISOString()} >= ${to.toISOString()})`);
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * UNIT_MS.d) throw new ParamError('from', `the range must not exceed ${MAX_RANGE_DAYS} days`);
  const params: QueryParams = { from, to, interval: (valid.interval ?? 'hour') as Interval, limit: Number(valid.limit ?? 100) };
  if (valid.api !== undefined) params.api = String(valid.api);
  if (valid.consumer !== undefined) params.consumer = String(valid.consumer);
  return params;
}

const validators = new WeakMap<readonly ParamSpec[], (data: unknown) => ValidQuery>();

/** The route's validation and resolution in one call, for callers that are not a route. */
export function parseParams(specs: readonly ParamSpec[], raw: Record<string, unknown>, now = new Date()): QueryParams {
  let validate = validators.get(specs);
  if (!validate) {
    validate = compileInput<ValidQuery>(querySchema(specs), { context: 'querystring', formats: DASHBOARD_FORMATS, toError: (param, problem) => new ParamError(param ?? 'query', problem) });
    validators.set(specs, validate);
  }
  return resolveParams(validate(withoutEmptyValues(raw)), now);
}

/** `2025-01-31 00:00:00.000`, the text form of a `DateTime64(3, 'UTC')` query parameter. */
export function chDateTime(value: Date): string {
  return value.toISOString().replace('T', ' ').replace('Z', '');
}
