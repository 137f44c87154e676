import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PlanFileError, loadPlansFile, parsePlansFile } from '../src/plan-file.ts';
import { priceInvoice } from '../src/price.ts';
import { quotaState } from '../src/quota.ts';
import type { Plan } from '../src/types.ts';
import { d, row } from './fixtures.ts';

const EXAMPLE = fileURLToPath(new URL('../plans.example.yaml', import.meta.url));

/** The errors a file produces (empty when it is valid). */
function errorsOf(text: string, format: 'yaml' | 'json' = 'yaml'): readonly string[] {
  try {
    parsePlansFile(text, format);
    return [];
  } catch (error) {
    if (error instanceof PlanFileError) return error.errors;
    throw error;
  }
}

/** A one-plan file whose meter's price is `price` (YAML flow or block text). */
const withPrice = (price: string): string => `
version: 1
plans:
  starter:
    name: Starter
    currency: EUR
    meters:
      - id: calls
        description: API calls
        unit: requests
        price: ${price}
`;

describe('the example plans file', () => {
  it('parses into the five documented plans', async () => {
    const catalog = await loadPlansFile(EXAMPLE);
    expect([...catalog.plans.keys()]).toEqual(['free', 'trial', 'starter', 'business', 'jp-standard']);
    const get = (id: string): Plan => catalog.plans.get(id)!;
    expect(get('free').quota).toEqual({ limit: 1000, kind: 'hard' });
    expect(get('trial').rateLimits).toEqual([{ limit: 5, per: 'second' }, { limit: 100, per: 'minute', apis: ['search'] }]);
    expect(get('trial').apis).toEqual(['orders', 'search']);
    expect(get('free').rateLimits).toBeUndefined();
    expect(get('free').apis).toBeUndefined();
    expect(get('starter').baseFee).toBe(1900n);
    expect(get('starter').meters[0]!.price).toEqual({ model: 'per_unit', unitPrice: d('0.002') });
    expect(get('business').meters[1]).toMatchObject({ unit: 'bytes', includedUnits: 100_000_000_000, price: { model: 'package', packageSize: 1_000_000_000 } });
    expect(Object.keys(get('business').meters[0]!.apiOverrides!)).toEqual(['search']);
    expect(get('jp-standard')).toMatchObject({ currency: 'JPY', baseFee: 2900n });
    expect(get('jp-standard').meters[0]!.filter.methods).toContain('PATCH');
  });

  it('prices realistic months', async () => {
    const { plans } = await loadPlansFile(EXAMPLE);
    // Free: nothing to pay; the 1 000th call uses up the hard quota.
    expect(priceInvoice(plans.get('free')!, [row('a', 1000)]).totalMinor).toBe(0n);
    expect(quotaState(plans.get('free')!, 1000)?.blocked).toBe(true);
    // Starter: 19.00 + (25 000 − 10 000) × 0.002 = 49.00 EUR.
    expect(priceInvoice(plans.get('starter')!, [row('a', 25_000)]).totalMinor).toBe(4900n);
    // JP: 2 900 + 200 000 − 10 000 = 190 000 billable, volume tier 2: 190 000 × 0.2 + 1 000 = 39 000 yen.
    expect(priceInvoice(plans.get('jp-standard')!, [row('a', 200_000)]).totalMinor).toBe(41_900n);
  });

  it('is the same catalog when written as JSON', async () => {
    const json = JSON.stringify({
      version: 1,
      plans: { free: { name: 'Free', currency: 'eur', quota: { limit: 1000, kind: 'hard' }, meters: [{ id: 'calls', description: 'API calls', unit: 'requests', included_units: 1000, price: { model: 'per_unit', unit_price: 0 } }] } },
    });
    const fromJson = parsePlansFile(json, 'json').plans.get('free');
    expect(fromJson).toEqual((await loadPlansFile(EXAMPLE)).plans.get('free'));
  });
});

describe('loadPlansFile', () => {
  it('picks the format from the extension and names the file in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plans-'));
    await writeFile(join(dir, 'plans.json'), '{"version": 2}');
    await writeFile(join(dir, 'plans.toml'), '');
    await expect(loadPlansFile(join(dir, 'plans.json'))).rejects.toThrow(`invalid ${join(dir, 'plans.json')}:\n  - version must be 1 (got 2)`);
    await expect(loadPlansFile(join(dir, 'plans.toml'))).rejects.toThrow(/expected \.yaml, \.yml or \.json/);
  });
});

describe('validation', () => {
  it('accepts a minimal plan', () => {
    expect(errorsOf(withPrice('{ model: per_unit, unit_price: "0.002" }'))).toEqual([]);
  });

  it('names the tier that is out of order, and collects every error', () => {
    const errors = errorsOf(
      withPrice(`
          model: graduated
          tiers:
            - { up_to: 1000, unit_price: "0.01" }
            - { up_to: 1000, unit_price: "0.005" }
            - { up_to: 500, unit_price: 0.001 }
            - { up_to: null, unit_price: "-1" }`),
    );
    expect(errors).toEqual([
      'plans.starter.meters[0].price.tiers[1].up_to must be greater than the previous tier (1000)',
      'plans.starter.meters[0].price.tiers[2].up_to must be greater than the previous tier (1000)',
      'plans.starter.meters[0].price.tiers[2].unit_price must be a quoted decimal string such as "0.001" (unquoted fractions are read as binary floats)',
      'plans.starter.meters[0].price.tiers[3].unit_price must be a decimal amount: "-1" is not a non-negative decimal like "0.002"',
    ]);
  });

  it('requires the last tier, and only it, to be unbounded', () => {
    const errors = errorsOf(withPrice('{ model: volume, tiers: [ { unit_price: "1" }, { up_to: 10, unit_price: "1" } ] }'));
    expect(errors).toEqual([
      'plans.starter.meters[0].price.tiers[0].up_to may only be null (unbounded) on the last tier',
      'plans.starter.meters[0].price.tiers[1].up_to must be null (unbounded) on the last tier (got 10)',
    ]);
    expect(errorsOf(withPrice('{ model: graduated, tiers: [] }'))).toEqual(['plans.starter.meters[0].price.tiers must not be empty']);
  });

  it('checks package and model fields', () => {
    expect(errorsOf(withPrice('{ model: package, package_size: 0, package_price: "1" }'))).toEqual([
      'plans.starter.meters[0].price.package_size must be a whole number ≥ 1 (got 0)',
    ]);
    expect(errorsOf(withPrice('{ model: tiered, tiers: [] }'))).toEqual([
      'plans.starter.meters[0].price.model must be one of per_unit, package, graduated, volume (got "tiered")',
    ]);
    expect(errorsOf(withPrice('{ model: per_unit, unit_price: "1", unitprice: "2" }'))).toEqual([
      'plans.starter.meters[0].price.unitprice is not a known field (expected one of: model, unit_price)',
    ]);
    expect(errorsOf(withPrice('{ model: per_unit }'))).toEqual([
      'plans.starter.meters[0].price.unit_price is required and must be a decimal string such as "0.002" (got undefined)',
    ]);
  });

  it('accepts readable counts and whole-number prices', () => {
    const text = withPrice('{ model: package, package_size: "1_000_000_000", package_price: 2 }');
    const price = parsePlansFile(text, 'yaml').plans.get('starter')!.meters[0]!.price;
    expect(price).toEqual({ model: 'package', packageSize: 1e9, packagePrice: d('2') });
  });

  it('checks plan-level fields', () => {
    const errors = errorsOf(`
version: 1
plans:
  Bad Id:
    name: X
    currency: EUR
    meters: []
  pro:
    currency: XYZ
    period: week
    quota: { limit: 0, kind: strict }
    billable_statuses: [2xx, 6xx]
  yen:
    name: Yen
    currency: JPY
    base_fee: "19.50"
    meters: []
`);
    expect(errors).toEqual([
      'plans.Bad Id is not a valid plan id (lower-case letters, digits, _ or -)',
      'plans.pro.currency is not a known ISO 4217 currency (got "XYZ")',
      'plans.pro.period must be month (calendar month; the only period in version 1) (got "week")',
      'plans.pro.name is required',
      'plans.pro.billable_statuses contains "6xx"; status classes are 1xx, 2xx, 3xx, 4xx, 5xx',
      'plans.pro.quota.limit must be a whole number ≥ 1 (got 0)',
      'plans.pro.quota.kind must be one of soft, hard (got "strict")',
      'plans.pro.meters is required (use [] for a plan without usage pricing)',
      'plans.yen.base_fee has more decimals than JPY can be charged in (0) (got "19.50")',
    ]);
  });

  it('checks rate limits and entitled APIs, naming the path', () => {
    const errors = errorsOf(`
version: 1
plans:
  trial:
    name: Trial
    currency: EUR
    rate_limits:
      - { limit: 0, per: week }
      - { limit: 10, per: minute, apis: [search, search] }
      - { limit: 10, per: second, apis: [billing], burst: 3 }
      - 5
    apis: [orders, search]
    meters: []
  open:
    name: Open
    currency: EUR
    rate_limits: { limit: 1, per: second }
    apis: []
    meters: []
`);
    expect(errors).toEqual([
      'plans.trial.rate_limits[0].limit must be a whole number ≥ 1 (got 0)',
      'plans.trial.rate_limits[0].per must be one of second, minute, hour, day (got "week")',
      'plans.trial.rate_limits[1].apis[1] repeats "search"',
      'plans.trial.rate_limits[2].burst is not a known field (expected one of: limit, per, apis)',
      'plans.trial.rate_limits[2].apis contains "billing", which the plan\'s apis do not entitle, so the limit could never count a call',
      'plans.trial.rate_limits[3] must be a mapping (got 5)',
      'plans.trial.rate_limits[3].limit is required and must be a whole number ≥ 1 (got undefined)',
      'plans.trial.rate_limits[3].per is required and must be one of second, minute, hour, day (got undefined)',
      'plans.open.apis must not be empty',
      'plans.open.rate_limits must be a list (got {"limit":1,"per":"second"})',
    ]);
    const plan = parsePlansFile('version: 1\nplans:\n  p:\n    name: P\n    currency: EUR\n    rate_limits: [{ limit: "1_000", per: day }]\n    meters: []\n', 'yaml').plans.get('p');
    expect(plan?.rateLimits).toEqual([{ limit: 1000, per: 'day' }]);
    expect(plan?.apis).toBeUndefined();
  });

  it('checks meters: ids, units, filters and overrides', () => {
    const errors = errorsOf(`
version: 1
plans:
  p:
    name: P
    currency: EUR
    billable_statuses: [2xx]
    meters:
      - id: calls
        description: Calls
        unit: request
        filter: { apis: [orders, orders], methods: ["GET /x"], status_classes: [5xx] }
        included_units: -1
        price: { model: per_unit, unit_price: "0.001" }
        api_overrides:
          search: { model: per_unit, unit_price: "0.01" }
      - id: calls
        description: ""
        unit: bytes
        price: { model: per_unit, unit_price: "0.0000000000001" }
`);
    expect(errors).toEqual([
      'plans.p.meters[0].filter.apis[1] repeats "orders"',
      'plans.p.meters[0].filter.methods contains "GET /x", which is not an HTTP method',
      'plans.p.meters[0].filter.status_classes contains no billable status class, so the meter could never bill anything',
      'plans.p.meters[0].unit must be one of requests, request_bytes, response_bytes, bytes (got "request")',
      'plans.p.meters[0].included_units must be a whole number ≥ 0 (got -1)',
      `plans.p.meters[0].api_overrides.search is never used: the meter's filter.apis does not include "search"`,
      'plans.p.meters[1].description must be a non-empty string (got "")',
      'plans.p.meters[1].price.unit_price must be a decimal amount: "0.0000000000001" has more than 12 decimal places',
      'plans.p.meters[1].id repeats meter id "calls"',
    ]);
  });

  it('reserves the meter id "base_fee" for the base fee line, and KWD base fees in whole 10 fils', () => {
    expect(errorsOf(`version: 1
plans:
  k:
    name: K
    currency: KWD
    base_fee: "5.125"
    meters:
      - { id: base_fee, description: calls, unit: requests, price: { model: per_unit, unit_price: "0.01" } }
`)).toEqual([
      'plans.k.base_fee has more decimals than KWD can be charged in (2) (got "5.125")',
      'plans.k.meters[0].id "base_fee" is reserved for the plan\'s base fee',
    ]);
  });

  it('rejects other versions without validating the rest', () => {
    expect(errorsOf('version: 2\nplans: { x: 1 }')).toEqual(['version must be 1 (got 2)']);
    expect(errorsOf('plans: {}')).toEqual(['version must be 1 (got undefined)']);
    expect(errorsOf('version: 1\nplans: {}')).toEqual(['plans must be a non-empty mapping of plan id to plan (got {})']);
  });

  it('reports syntax errors and duplicate keys', () => {
    expect(errorsOf('{ "version": 1,', 'json')[0]).toMatch(/^cannot be parsed as JSON/);
    expect(errorsOf('version: 1\nversion: 1\n')[0]).toMatch(/^cannot be parsed as YAML: .*unique/is);
  });

  it('throws one error listing all problems', () => {
    expect(() => parsePlansFile('version: 1\nplans: {}', 'yaml')).toThrow(
      new PlanFileError(['plans must be a non-empty mapping of plan id to plan (got {})']),
    );
  });
});
