import { describe, expect, it } from 'vitest';
import { alertThreshold, minorToMajorText, percentOf } from '../src/alerts.ts';
import { PlanFileError, parsePlansFile } from '../src/plan-file.ts';
import type { Plan } from '../src/types.ts';
import { d } from './fixtures.ts';

/** A one-plan file with the given currency, quota line and alerts (YAML flow text). */
const file = (alerts: string, { currency = 'EUR', quota = 'quota: { limit: 1000, kind: soft }', meters = '' } = {}): string => `
version: 1
plans:
  p:
    name: P
    currency: ${currency}
    ${quota}
    meters:
      - { id: calls, description: Calls, unit: requests, included_units: 10000, price: { model: per_unit, unit_price: "0.002" } }
${meters}
    alerts: ${alerts}
`;

function parse(text: string): Plan {
  return parsePlansFile(text, 'yaml').plans.get('p')!;
}

function errorsOf(text: string): readonly string[] {
  try {
    parsePlansFile(text, 'yaml');
    return [];
  } catch (error) {
    if (error instanceof PlanFileError) return error.errors;
    throw error;
  }
}

describe('alerts in the plans file', () => {
  it('parses quota, included-units and spend alerts, normalised, with stable keys', () => {
    const plan = parse(file('[{ at: 80%, of: quota }, { at: "100%", of: quota }, { at: "90.50%", of: included_units }, { at: "500.00", of: spend }, { at: 1000, of: spend }]'));
    expect(plan.alerts).toEqual([
      { of: 'quota', percent: d('80'), at: '80%', key: 'quota:80%' },
      { of: 'quota', percent: d('100'), at: '100%', key: 'quota:100%' },
      { of: 'included_units', meterId: 'calls', percent: d('90.5'), at: '90.5%', key: 'included_units:calls:90.5%' },
      { of: 'spend', amountMinor: 50_000n, at: '500.00', key: 'spend:500.00' },
      { of: 'spend', amountMinor: 100_000n, at: '1000.00', key: 'spend:1000.00' },
    ]);
  });

  it('leaves plans without alerts as they were (version 1 files stay valid)', () => {
    const text = file('[]').replace('    alerts: []\n', '');
    expect(parse(text).alerts).toBeUndefined();
    expect(parse(file('[]')).alerts).toEqual([]);
  });

  it('names the path of every problem', () => {
    const meters = '      - { id: bytes, description: Bytes, unit: bytes, included_units: 5, price: { model: per_unit, unit_price: "0" } }';
    expect(errorsOf(file('[{ at: 80, of: quota }, { at: "0%", of: quota }, { at: "80%", of: quota, meter: calls }, { at: "80%", of: calls }]', { meters }))).toEqual([
      'plans.p.alerts[0].at must be a percentage above 0 such as "80%" (got 80)',
      'plans.p.alerts[1].at must be a percentage above 0 such as "80%" (got "0%")',
      'plans.p.alerts[2].meter is only for of: included_units (got of: quota)',
      'plans.p.alerts[3].of must be one of quota, included_units, spend (got "calls")',
    ]);
    expect(errorsOf(file('[{ at: "80%", of: included_units }, { at: "80%", of: included_units, meter: nope }]', { meters }))).toEqual([
      'plans.p.alerts[0].meter is required: the plan has 2 meters with included_units (calls, bytes)',
      'plans.p.alerts[1].meter must name a meter of the plan with included_units (calls, bytes) (got "nope")',
    ]);
    expect(errorsOf(file('[{ at: "80%", of: quota }, { at: "0.001", of: spend }, { at: "0", of: spend }, { at: 80%, of: quota }, { of: spend, at: 1.5 }]', { quota: '' }))).toEqual([
      'plans.p.alerts[0].of is quota, but the plan has no quota',
      'plans.p.alerts[1].at has more decimals than EUR can be charged in (2) (got "0.001")',
      'plans.p.alerts[2].at must be an amount above 0 (got "0")',
      'plans.p.alerts[3].of is quota, but the plan has no quota',
      'plans.p.alerts[4].at must be a quoted decimal string such as "1.5" (unquoted fractions are read as binary floats)',
    ]);
    expect(errorsOf(file('[{ at: "80%", of: quota }, { at: "80.0 %", of: quota }]'))).toEqual(['plans.p.alerts[1] repeats the alert of plans.p.alerts[0] (quota:80%)']);
    expect(errorsOf(file('{ at: "80%" }'))).toEqual(['plans.p.alerts must be a list (got {"at":"80%"})']);
    expect(errorsOf(file('[{ at: "80%", of: quota, every: day }]'))).toEqual(['plans.p.alerts[0].every is not a known field (expected one of: at, of, meter)']);
  });

  it('spends in the currency of the plan: yen without decimals', () => {
    expect(parse(file('[{ at: "5000", of: spend }]', { currency: 'JPY' })).alerts).toEqual([{ of: 'spend', amountMinor: 5000n, at: '5000', key: 'spend:5000' }]);
    expect(errorsOf(file('[{ at: "50.5", of: spend }]', { currency: 'JPY' }))).toEqual(['plans.p.alerts[0].at has more decimals than JPY can be charged in (0) (got "50.5")']);
  });
});

describe('alert thresholds', () => {
  it('are the smallest whole count at or past the percentage', () => {
    expect(percentOf(d('80'), 1000n)).toBe(800n);
    expect(percentOf(d('33.3'), 10n)).toBe(4n); // 3.33 → 4: the alert fires once 33.3 % is reached, not before
    expect(percentOf(d('100'), 7n)).toBe(7n);
    expect(percentOf(d('150'), 1000n)).toBe(1500n);
    expect(percentOf(d('0.01'), 1n)).toBe(1n);
  });

  it('measure the quota, the meter’s included units or the spend in minor units', () => {
    const plan = parse(file('[{ at: 80%, of: quota }, { at: "50%", of: included_units }, { at: "12.34", of: spend }]'));
    expect(plan.alerts!.map((a) => alertThreshold(plan, a))).toEqual([800n, 5000n, 1234n]);
    const { quota: _quota, ...withoutQuota } = plan;
    expect(alertThreshold(withoutQuota, plan.alerts![0]!)).toBeNull();
  });

  it('writes minor units back as major-unit text', () => {
    expect(minorToMajorText(5n, 'EUR')).toBe('0.05');
    expect(minorToMajorText(1234n, 'JPY')).toBe('1234');
    expect(minorToMajorText(1230n, 'KWD')).toBe('1.230');
  });
});
