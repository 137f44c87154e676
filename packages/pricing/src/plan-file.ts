// Reads and validates the versioned plans file (see packages/pricing/plans.example.yaml, DEFAULT_PLANS_FILE). Every
// problem is collected with its path, e.g. "plans.starter.meters[0].price.tiers[1].up_to ...", so one
// start-up attempt shows all of them. Parsers return a placeholder after recording an error; the
// catalog is only returned when there were none, so placeholders never escape. The structure is
// the published JSON Schema's (schemas/plans/plans.v1.schema.json, plans-structure.ts): a file it
// refuses is refused, in the words below when they name the problem, in the schema's otherwise;
// what a schema cannot say (currencies, exact amounts, tier order, references) is checked here.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { minorToMajorText, USAGE_ALERT_KINDS } from './alerts.ts';
import { chargeDecimals, isKnownCurrency } from './currency.ts';
import { ZERO, decimalToString, exactMinor, parseDecimal, type Decimal } from './money.ts';
import { structureProblems } from './plans-structure.ts';
import {
  BASE_FEE_LINE_KEY,
  DEFAULT_BILLABLE_STATUSES,
  DEFAULT_LATE_USAGE,
  LATE_USAGE_POLICIES,
  RATE_LIMIT_WINDOWS,
  STATUS_CLASSES,
  type Meter,
  type MeterFilter,
  type MeterUnit,
  type Plan,
  type PlanCatalog,
  type PriceModel,
  type Quota,
  type RateLimit,
  type StatusClass,
  type Tier,
  type UsageAlert,
} from './types.ts';

export type PlansFileFormat = 'yaml' | 'json';

/** The example plans file shipped with this package: what billing and the dashboards read when BILLING_PLANS_FILE is unset. */
export const DEFAULT_PLANS_FILE = fileURLToPath(new URL('../plans.example.yaml', import.meta.url));

export class PlanFileError extends Error {
  constructor(
    readonly errors: readonly string[],
    source = 'plans file',
  ) {
    super(`invalid ${source}:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    this.name = 'PlanFileError';
  }
}

const ID = /^[a-z0-9][a-z0-9_-]*$/;
const HTTP_METHOD = /^[A-Za-z]+$/;
const COUNT_TEXT = /^\d+(?:_\d+)*$/;
const PERCENT_TEXT = /^(\d+(?:\.\d+)?)\s*%$/;
const METER_UNITS: readonly MeterUnit[] = ['requests', 'request_bytes', 'response_bytes', 'bytes'];
const PRICE_MODELS = ['per_unit', 'package', 'graduated', 'volume'] as const;

type Obj = Record<string, unknown>;

class Issues {
  readonly errors: string[] = [];
  add(path: string, message: string): void {
    this.errors.push(`${path} ${message}`);
  }
}

const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** A mapping with only the given keys (unknown keys are typos until proven otherwise). */
function mapping(issues: Issues, value: unknown, path: string, keys: readonly string[]): Obj {
  if (!isObj(value)) {
    issues.add(path, `must be a mapping (got ${show(value)})`);
    return {};
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) issues.add(`${path}.${key}`, `is not a known field (expected one of: ${keys.join(', ')})`);
  }
  return value;
}

function list(issues: Issues, value: unknown, path: string, nonEmpty = true): readonly unknown[] {
  if (!Array.isArray(value)) {
    issues.add(path, `must be a list (got ${show(value)})`);
    return [];
  }
  if (nonEmpty && value.length === 0) issues.add(path, 'must not be empty');
  return value;
}

function text(issues: Issues, value: unknown, path: string): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  issues.add(path, value === undefined ? 'is required' : `must be a non-empty string (got ${show(value)})`);
  return '';
}

function oneOf<T extends string>(issues: Issues, value: unknown, path: string, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T;
  issues.add(path, `${value === undefined ? 'is required and ' : ''}must be one of ${allowed.join(', ')} (got ${show(value)})`);
  return allowed[0]!;
}

/** A whole unit count: a safe integer, or a digit string ("1_000_000_000" reads better for bytes). */
function count(issues: Issues, value: unknown, path: string, min: number): number {
  const n = typeof value === 'string' && COUNT_TEXT.test(value) ? Number(value.replaceAll('_', '')) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= min) return n;
  issues.add(path, `${value === undefined ? 'is required and ' : ''}must be a whole number ≥ ${min} (got ${show(value)})`);
  return min;
}

/**
 * Money in major units. Fractions must be quoted: YAML and JSON parse an unquoted 0.002 into a binary
 * float before we could see the digits. Integers are exact either way, so `0` or `19` may be bare.
 */
function decimal(issues: Issues, value: unknown, path: string): Decimal {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return parseDecimal(String(value));
  if (typeof value === 'string') {
    try {
      return parseDecimal(value);
    } catch (error) {
      issues.add(path, `must be a decimal amount: ${(error as Error).message}`);
      return ZERO;
    }
  }
  if (typeof value === 'number') {
    issues.add(path, `must be a quoted decimal string such as "${value}" (unquoted fractions are read as binary floats)`);
  } else {
    issues.add(path, `${value === undefined ? 'is required and ' : ''}must be a decimal string such as "0.002" (got ${show(value)})`);
  }
  return ZERO;
}

function uniqueStrings(issues: Issues, value: unknown, path: string): string[] {
  const items = list(issues, value, path);
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const s = text(issues, item, `${path}[${i}]`);
    if (seen.has(s)) issues.add(`${path}[${i}]`, `repeats ${show(s)}`);
    seen.add(s);
  });
  return [...seen];
}

function statusClasses(issues: Issues, value: unknown, path: string): StatusClass[] {
  const classes = uniqueStrings(issues, value, path);
  classes.forEach((c) => {
    if (!STATUS_CLASSES.includes(c as StatusClass)) issues.add(path, `contains ${show(c)}; status classes are ${STATUS_CLASSES.join(', ')}`);
  });
  return classes as StatusClass[];
}

function tiers(issues: Issues, value: unknown, path: string): Tier[] {
  const items = list(issues, value, path);
  let previous = 0;
  return items.map((item, i) => {
    const at = `${path}[${i}]`;
    const tier = mapping(issues, item, at, ['up_to', 'unit_price', 'flat_fee']);
    const last = i === items.length - 1;
    let upTo: number | null = null;
    if (tier.up_to === undefined || tier.up_to === null || tier.up_to === 'inf') {
      // Usage beyond a bounded last tier would have no price; unbounded anywhere else hides tiers.
      if (!last) issues.add(`${at}.up_to`, 'may only be null (unbounded) on the last tier');
    } else {
      const before = issues.errors.length;
      upTo = count(issues, tier.up_to, `${at}.up_to`, 1);
      if (issues.errors.length === before) {
        if (last) issues.add(`${at}.up_to`, `must be null (unbounded) on the last tier (got ${show(tier.up_to)})`);
        else if (upTo <= previous) issues.add(`${at}.up_to`, `must be greater than the previous tier (${previous})`);
        previous = Math.max(previous, upTo);
      }
    }
    const unitPrice = decimal(issues, tier.unit_price, `${at}.unit_price`);
    return tier.flat_fee === undefined ? { upTo, unitPrice } : { upTo, unitPrice, flatFee: decimal(issues, tier.flat_fee, `${at}.flat_fee`) };
  });
}

function priceModel(issues: Issues, value: unknown, path: string): PriceModel {
  const kind = isObj(value) ? value.model : undefined;
  switch (kind) {
    case 'per_unit':
    case 'package':
    case 'graduated':
    case 'volume':
      break;
    default:
      // Without a valid model we cannot know which fields belong, so report only the model.
      if (isObj(value)) oneOf(issues, kind, `${path}.model`, PRICE_MODELS);
      else mapping(issues, value, path, []);
      return { model: 'per_unit', unitPrice: ZERO };
  }
  switch (kind) {
    case 'per_unit': {
      const p = mapping(issues, value, path, ['model', 'unit_price']);
      return { model: kind, unitPrice: decimal(issues, p.unit_price, `${path}.unit_price`) };
    }
    case 'package': {
      const p = mapping(issues, value, path, ['model', 'package_size', 'package_price']);
      return {
        model: kind,
        packageSize: count(issues, p.package_size, `${path}.package_size`, 1),
        packagePrice: decimal(issues, p.package_price, `${path}.package_price`),
      };
    }
    case 'graduated':
    case 'volume': {
      const p = mapping(issues, value, path, ['model', 'tiers']);
      return { model: kind, tiers: tiers(issues, p.tiers, `${path}.tiers`) };
    }
  }
}

function meterFilter(issues: Issues, value: unknown, path: string, billable: ReadonlySet<StatusClass>): MeterFilter {
  if (value === undefined) return {};
  const f = mapping(issues, value, path, ['apis', 'methods', 'status_classes']);
  const filter: { apis?: string[]; methods?: string[]; statusClasses?: StatusClass[] } = {};
  if (f.apis !== undefined) filter.apis = uniqueStrings(issues, f.apis, `${path}.apis`);
  if (f.methods !== undefined) {
    filter.methods = uniqueStrings(issues, f.methods, `${path}.methods`).map((m) => {
      if (!HTTP_METHOD.test(m)) issues.add(`${path}.methods`, `contains ${show(m)}, which is not an HTTP method`);
      return m.toUpperCase();
    });
  }
  if (f.status_classes !== undefined) {
    const at = `${path}.status_classes`;
    filter.statusClasses = statusClasses(issues, f.status_classes, at);
    if (filter.statusClasses.length > 0 && !filter.statusClasses.some((c) => billable.has(c))) {
      issues.add(at, 'contains no billable status class, so the meter could never bill anything');
    }
  }
  return filter;
}

function meter(issues: Issues, value: unknown, path: string, billable: ReadonlySet<StatusClass>): Meter {
  const m = mapping(issues, value, path, ['id', 'description', 'unit', 'filter', 'included_units', 'price', 'api_overrides']);
  const id = text(issues, m.id, `${path}.id`);
  if (id !== '' && !ID.test(id)) issues.add(`${path}.id`, `must be lower-case letters, digits, _ or - (got ${show(id)})`);
  const filter = meterFilter(issues, m.filter, `${path}.filter`, billable);
  const result: { -readonly [K in keyof Meter]: Meter[K] } = {
    id,
    description: text(issues, m.description, `${path}.description`),
    unit: oneOf(issues, m.unit, `${path}.unit`, METER_UNITS),
    filter,
    includedUnits: m.included_units === undefined ? 0 : count(issues, m.included_units, `${path}.included_units`, 0),
    price: priceModel(issues, m.price, `${path}.price`),
  };
  if (m.api_overrides !== undefined) {
    const at = `${path}.api_overrides`;
    const o = isObj(m.api_overrides) ? m.api_overrides : mapping(issues, m.api_overrides, at, []);
    const overrides: Record<string, PriceModel> = {};
    for (const [api, model] of Object.entries(o)) {
      if (filter.apis && !filter.apis.includes(api)) {
        issues.add(`${at}.${api}`, `is never used: the meter's filter.apis does not include ${show(api)}`);
      }
      overrides[api] = priceModel(issues, model, `${at}.${api}`);
    }
    result.apiOverrides = overrides;
  }
  return result;
}

/** A limit naming an API the plan does not entitle could never count a call: a typo until proven otherwise. */
function rateLimit(issues: Issues, value: unknown, path: string, entitled: readonly string[] | undefined): RateLimit {
  const r = mapping(issues, value, path, ['limit', 'per', 'apis']);
  const limit: { -readonly [K in keyof RateLimit]: RateLimit[K] } = {
    limit: count(issues, r.limit, `${path}.limit`, 1),
    per: oneOf(issues, r.per, `${path}.per`, RATE_LIMIT_WINDOWS),
  };
  if (r.apis !== undefined) {
    limit.apis = uniqueStrings(issues, r.apis, `${path}.apis`);
    for (const api of limit.apis) if (entitled && !entitled.includes(api)) issues.add(`${path}.apis`, `contains ${show(api)}, which the plan's apis do not entitle, so the limit could never count a call`);
  }
  return limit;
}

function plan(issues: Issues, id: string, value: unknown, path: string): Plan {
  if (!ID.test(id)) issues.add(path, 'is not a valid plan id (lower-case letters, digits, _ or -)');
  const p = mapping(issues, value, path, ['name', 'currency', 'period', 'base_fee', 'billable_statuses', 'quota', 'rate_limits', 'apis', 'meters', 'late_usage', 'alerts']);

  const rawCurrency = text(issues, p.currency, `${path}.currency`);
  const currency = rawCurrency.toUpperCase();
  const currencyOk = isKnownCurrency(currency);
  if (rawCurrency !== '' && !currencyOk) issues.add(`${path}.currency`, `is not a known ISO 4217 currency (got ${show(rawCurrency)})`);

  if (p.period !== undefined && p.period !== 'month') {
    issues.add(`${path}.period`, `must be month (calendar month; the only period in version 1) (got ${show(p.period)})`);
  }

  const result: { -readonly [K in keyof Plan]: Plan[K] } = {
    id,
    name: text(issues, p.name, `${path}.name`),
    currency,
    period: 'month',
    billableStatuses: DEFAULT_BILLABLE_STATUSES,
    meters: [],
    lateUsage: p.late_usage === undefined ? DEFAULT_LATE_USAGE : oneOf(issues, p.late_usage, `${path}.late_usage`, LATE_USAGE_POLICIES),
  };

  if (p.base_fee !== undefined) {
    const fee = decimal(issues, p.base_fee, `${path}.base_fee`);
    // A base fee is charged as-is, so it must be payable: no fractions of the minor unit.
    const minor = currencyOk ? exactMinor(fee, currency) : 0n;
    if (minor === null) {
      issues.add(`${path}.base_fee`, `has more decimals than ${currency} can be charged in (${chargeDecimals(currency)}) (got ${show(p.base_fee)})`);
    } else result.baseFee = minor;
  }

  if (p.billable_statuses !== undefined) {
    result.billableStatuses = new Set(statusClasses(issues, p.billable_statuses, `${path}.billable_statuses`));
  }

  if (p.quota !== undefined) {
    const q = mapping(issues, p.quota, `${path}.quota`, ['limit', 'kind']);
    const quota: Quota = {
      limit: count(issues, q.limit, `${path}.quota.limit`, 1),
      kind: oneOf(issues, q.kind, `${path}.quota.kind`, ['soft', 'hard'] as const),
    };
    result.quota = quota;
  }

  if (p.apis !== undefined) result.apis = uniqueStrings(issues, p.apis, `${path}.apis`);
  if (p.rate_limits !== undefined) {
    result.rateLimits = list(issues, p.rate_limits, `${path}.rate_limits`, false).map((r, i) => rateLimit(issues, r, `${path}.rate_limits[${i}]`, result.apis));
  }

  if (p.meters === undefined) {
    issues.add(`${path}.meters`, 'is required (use [] for a plan without usage pricing)');
  } else {
    const seen = new Set<string>();
    result.meters = list(issues, p.meters, `${path}.meters`, false).map((m, i) => {
      const parsed = meter(issues, m, `${path}.meters[${i}]`, result.billableStatuses);
      if (parsed.id !== '' && seen.has(parsed.id)) issues.add(`${path}.meters[${i}].id`, `repeats meter id ${show(parsed.id)}`);
      // The base fee's line is keyed "base_fee" in the ledger and on Stripe: a meter may not share it.
      if (parsed.id === BASE_FEE_LINE_KEY) issues.add(`${path}.meters[${i}].id`, `"${BASE_FEE_LINE_KEY}" is reserved for the plan's base fee`);
      seen.add(parsed.id);
      return parsed;
    });
  }

  if (p.alerts !== undefined) result.alerts = alerts(issues, p.alerts, `${path}.alerts`, result, currencyOk);
  return result;
}

/** A percentage such as "80%" or "12.5%", above 0. */
function percent(issues: Issues, value: unknown, path: string): Decimal {
  const digits = typeof value === 'string' ? PERCENT_TEXT.exec(value)?.[1] : undefined;
  let parsed: Decimal | undefined;
  try {
    parsed = digits === undefined ? undefined : parseDecimal(digits);
  } catch {
    // More decimals than a price may have: reported below like any other malformed percentage.
  }
  if (parsed && parsed.coefficient > 0n) return parsed;
  issues.add(path, `${value === undefined ? 'is required and ' : ''}must be a percentage above 0 such as "80%" (got ${show(value)})`);
  return ZERO;
}

/**
 * `alerts: [{ at: "80%", of: quota }, { at: "90%", of: included_units, meter: calls }, { at: "500.00", of: spend }]`.
 * Parsed after the quota and meters, which they refer to. `meter` may be left out when exactly
 * one meter has included units.
 */
function alerts(issues: Issues, value: unknown, path: string, plan: Plan, currencyOk: boolean): UsageAlert[] {
  const seen = new Map<string, number>();
  const withIncluded = plan.meters.filter((m) => m.includedUnits > 0).map((m) => m.id);
  return list(issues, value, path, false).map((item, i): UsageAlert => {
    const at = `${path}[${i}]`;
    const before = issues.errors.length;
    const a = mapping(issues, item, at, ['at', 'of', 'meter']);
    const of = oneOf(issues, a.of, `${at}.of`, USAGE_ALERT_KINDS);
    if (a.meter !== undefined && of !== 'included_units') issues.add(`${at}.meter`, `is only for of: included_units (got of: ${of})`);
    let alert: UsageAlert;
    if (of === 'quota') {
      const p = percent(issues, a.at, `${at}.at`);
      if (!plan.quota) issues.add(`${at}.of`, 'is quota, but the plan has no quota');
      alert = { of, percent: p, at: `${decimalToString(p)}%`, key: `quota:${decimalToString(p)}%` };
    } else if (of === 'included_units') {
      const p = percent(issues, a.at, `${at}.at`);
      let meterId = '';
      if (a.meter !== undefined) {
        meterId = text(issues, a.meter, `${at}.meter`);
        if (meterId !== '' && !withIncluded.includes(meterId)) issues.add(`${at}.meter`, `must name a meter of the plan with included_units (${withIncluded.join(', ') || 'none has'}) (got ${show(meterId)})`);
      } else if (withIncluded.length === 1) meterId = withIncluded[0]!;
      else issues.add(`${at}.meter`, `is required: the plan has ${withIncluded.length} meters with included_units${withIncluded.length > 0 ? ` (${withIncluded.join(', ')})` : ''}`);
      alert = { of, meterId, percent: p, at: `${decimalToString(p)}%`, key: `included_units:${meterId}:${decimalToString(p)}%` };
    } else {
      const amount = decimal(issues, a.at, `${at}.at`);
      const minor = currencyOk ? exactMinor(amount, plan.currency) : 0n;
      if (minor === null) issues.add(`${at}.at`, `has more decimals than ${plan.currency} can be charged in (${chargeDecimals(plan.currency)}) (got ${show(a.at)})`);
      else if (currencyOk && issues.errors.length === before && minor <= 0n) issues.add(`${at}.at`, `must be an amount above 0 (got ${show(a.at)})`);
      const major = currencyOk && minor !== null ? minorToMajorText(minor, plan.currency) : '';
      alert = { of, amountMinor: minor ?? 0n, at: major, key: `spend:${major}` };
    }
    // An alert with errors holds placeholders, which could only repeat by accident.
    const first = seen.get(alert.key);
    if (issues.errors.length === before && first !== undefined) issues.add(at, `repeats the alert of ${path}[${first}] (${alert.key})`);
    if (!seen.has(alert.key)) seen.set(alert.key, i);
    return alert;
  });
}

function catalog(document: unknown, source: string): PlanCatalog {
  const issues = new Issues();
  const root = mapping(issues, document, '(root)', ['version', 'plans']);
  if (root.version !== 1) {
    // Another version's fields would mean something else; validating them against v1 only misleads.
    issues.add('version', `must be 1 (got ${show(root.version)})`);
    throw new PlanFileError(issues.errors, source);
  }
  const plans = new Map<string, Plan>();
  if (!isObj(root.plans) || Object.keys(root.plans).length === 0) {
    issues.add('plans', `must be a non-empty mapping of plan id to plan (got ${show(root.plans)})`);
  } else {
    for (const [id, value] of Object.entries(root.plans)) plans.set(id, plan(issues, id, value, `plans.${id}`));
  }
  if (issues.errors.length > 0) throw new PlanFileError(issues.errors, source);
  // The checks above name every structural problem they know; one the schema alone sees still refuses the file.
  const structural = structureProblems(document);
  if (structural.length > 0) throw new PlanFileError(structural, source);
  return { version: 1, plans };
}

/** Parses and validates a plans file; throws PlanFileError listing every problem found. */
export function parsePlansFile(text: string, format: PlansFileFormat, source = 'plans file'): PlanCatalog {
  let document: unknown;
  try {
    // YAML 1.2 core schema: `no` stays a string, duplicate keys are errors.
    document = format === 'yaml' ? parseYaml(text, { uniqueKeys: true, prettyErrors: true }) : JSON.parse(text);
  } catch (error) {
    throw new PlanFileError([`cannot be parsed as ${format.toUpperCase()}: ${(error as Error).message}`], source);
  }
  return catalog(document, source);
}

/** Reads a .yaml, .yml or .json plans file; meant for start-up, so it fails loudly. */
export async function loadPlansFile(path: string): Promise<PlanCatalog> {
  const ext = extname(path).toLowerCase();
  const format: PlansFileFormat | undefined = ext === '.json' ? 'json' : ext === '.yaml' || ext === '.yml' ? 'yaml' : undefined;
  if (!format) throw new PlanFileError([`has extension ${show(ext)}; expected .yaml, .yml or .json`], path);
  return parsePlansFile(await readFile(path, 'utf8'), format, path);
}
