// The run lease's pure parts: what a holder does with a period given the shared run log, who gets
// the lease partition in a rebalance, and the lease settings read from the environment.
import { describe, expect, it } from 'vitest';
import { billingConfigFromEnv } from '../src/config.ts';
import { leaseWinner } from '../src/lease/lease-assigner.ts';
import { decodeRecord, encodeRecord, RunLog, type RunLogRecord } from '../src/lease/run-log.ts';

const record = (period: string, state: RunLogRecord['state']): RunLogRecord => ({ period, state, run_id: `run-${period}`, holder: 'host:1', at: '2026-01-01T00:00:05.000Z' });

describe('RunLog', () => {
  it('runs a period nobody began, resumes one begun and not finished, and leaves a finished one alone', () => {
    const log = new RunLog();
    expect(log.decide('2026-01')).toBe('run');
    log.apply(record('2026-01', 'started'));
    expect(log.decide('2026-01')).toBe('resume');
    expect(log.unfinished()).toEqual(['2026-01']);
    log.apply(record('2026-01', 'finished'));
    expect(log.decide('2026-01')).toBe('done');
    expect(log.unfinished()).toEqual([]);
  });

  it('keeps a finished period finished when a late started record of a fenced holder arrives', () => {
    const log = new RunLog();
    log.apply(record('2026-02', 'finished'));
    log.apply(record('2026-02', 'started'));
    expect(log.decide('2026-02')).toBe('done');
  });

  it('reads back what it wrote, keyed by period, and ignores what is not a record', () => {
    const encoded = encodeRecord(record('2026-03', 'started'));
    expect(encoded.key).toBe('2026-03');
    expect(decodeRecord(Buffer.from(encoded.value))).toEqual(record('2026-03', 'started'));
    expect(decodeRecord(null)).toBeUndefined();
    expect(decodeRecord(Buffer.from('{"period":"2026-03","state":"maybe"}'))).toBeUndefined();
    expect(decodeRecord(Buffer.from('not json'))).toBeUndefined();
  });
});

describe('leaseWinner', () => {
  it('keeps the lease with the member that holds it, else gives it to the first member by id', () => {
    expect(leaseWinner([{ memberId: 'b', holds: false }, { memberId: 'c', holds: true }, { memberId: 'a', holds: false }])).toBe('c');
    expect(leaseWinner([{ memberId: 'b', holds: false }, { memberId: 'a', holds: false }])).toBe('a');
    expect(leaseWinner([{ memberId: 'd', holds: true }, { memberId: 'c', holds: true }])).toBe('c');
    expect(leaseWinner([])).toBeUndefined();
  });
});

describe('billingConfigFromEnv: run lease', () => {
  const base = { BILLING_ADMIN_TOKENS: 'admin-token-0123456789' };

  it('is off by default, and reads topic, group, timeout and brokers when on', () => {
    expect(billingConfigFromEnv(base).lease).toBeUndefined();
    expect(billingConfigFromEnv({ ...base, BILLING_LEASE: 'kafka', KAFKA_BROKERS: 'k1:9092,k2:9092' }).lease).toEqual({
      kafka: { brokers: ['k1:9092', 'k2:9092'], clientId: 'tollgate-billing-lease' },
      topic: 'tollgate.billing.lease',
      groupId: 'tollgate-billing-lease',
      timeoutMs: 30_000,
    });
  });

  it('refuses an unknown lease kind, a timeout below the broker minimum and a malformed broker at start-up', () => {
    expect(() => billingConfigFromEnv({ ...base, BILLING_LEASE: 'clickhouse' })).toThrow(/BILLING_LEASE/);
    expect(() => billingConfigFromEnv({ ...base, BILLING_LEASE: 'kafka', BILLING_LEASE_TIMEOUT_MS: '1000' })).toThrow(/BILLING_LEASE_TIMEOUT_MS/);
    expect(() => billingConfigFromEnv({ ...base, BILLING_LEASE: 'kafka', KAFKA_BROKERS: 'nohost' })).toThrow(/KAFKA_BROKERS/);
  });
});
