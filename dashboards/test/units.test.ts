// Pure parts: parameter parsing, table choice, revenue allocation, token configuration.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tollgate/platform';
import { dashboardConfigFromEnv } from '../src/config.ts';
import { allocate } from '../src/queries/revenue.ts';
import { P, ParamError, parseParams } from '../src/queries/params.ts';
import { latencySource, usageSource } from '../src/queries/sources.ts';

const NOW = new Date('2025-06-15T12:34:56.789Z');
const specs = [P.from, P.to, P.interval, P.limit(10)];

describe('parameters', () => {
  it('applies defaults and relative times', () => {
    const p = parseParams(specs, {}, NOW);
    expect(p).toMatchObject({ interval: 'hour', limit: 10 });
    expect(p.to).toEqual(NOW);
    expect(p.from.getTime()).toBe(NOW.getTime() - 86_400_000);
  });
  it('reads date-times without an offset as UTC', () => {
    expect(parseParams(specs, { from: '2025-06-01', to: '2025-06-02T01:02' }, NOW)).toMatchObject({ from: new Date('2025-06-01T00:00:00Z'), to: new Date('2025-06-02T01:02:00Z') });
    expect(parseParams(specs, { from: '2025-06-01T00:00:00+02:00', to: 'now' }, NOW).from).toEqual(new Date('2025-05-31T22:00:00Z'));
  });
  it('names the parameter it refuses', () => {
    expect(() => parseParams(specs, { limit: '5000' }, NOW)).toThrow(ParamError);
    expect(() => parseParams(specs, { from: "2025-01-01'; DROP TABLE x" }, NOW)).toThrow(/parameter from/);
    expect(() => parseParams(specs, { api: 'search' }, NOW)).toThrow(/parameter api: is not a parameter of this query/);
    expect(() => parseParams(specs, { from: 'now-500d' }, NOW)).toThrow(/400 days/);
  });
});

describe('sources', () => {
  const retention = { minuteRollupDays: 35 };
  const at = (iso: string): Date => new Date(iso);
  it('picks the coarsest rollup both ends align with, never coarser than the interval', () => {
    expect(usageSource(at('2025-06-01T00:00:00Z'), at('2025-06-10T00:00:00Z'), 'day', retention, NOW).table).toBe('usage_day');
    expect(usageSource(at('2025-06-01T00:00:00Z'), at('2025-06-10T00:00:00Z'), 'hour', retention, NOW).table).toBe('usage_hour');
    expect(usageSource(at('2025-06-01T03:00:00Z'), at('2025-06-10T00:00:00Z'), 'day', retention, NOW).table).toBe('usage_hour');
    expect(usageSource(at('2025-06-01T03:01:00Z'), at('2025-06-10T00:00:00Z'), 'day', retention, NOW).table).toBe('usage_minute');
    expect(usageSource(at('2025-06-01T03:01:30Z'), at('2025-06-10T00:00:00Z'), 'day', retention, NOW).table).toBe('api_requests');
    // Older than the minute rollup's retention: raw.
    expect(usageSource(at('2025-01-01T03:01:00Z'), at('2025-06-10T00:00:00Z'), 'day', retention, NOW).table).toBe('api_requests');
    expect(latencySource(at('2025-06-01T03:01:00Z'), at('2025-06-02T00:00:00Z')).table).toBe('latency_minute');
    expect(latencySource(at('2025-06-01T03:01:01Z'), at('2025-06-02T00:00:00Z')).table).toBe('request_latency');
  });
});

describe('allocate', () => {
  it('splits an amount proportionally and exactly', () => {
    expect(allocate(68n, new Map([['search', 138n], ['geo', 30n]]))).toEqual(new Map([['search', 56n], ['geo', 12n]]));
    const parts = allocate(100n, new Map([['a', 1n], ['b', 1n], ['c', 1n]]));
    expect([...parts.values()].reduce((s, v) => s + v, 0n)).toBe(100n);
    expect(allocate(5n, new Map())).toEqual(new Map());
  });
});

describe('config', () => {
  it('reads defaults', () => {
    const config = dashboardConfigFromEnv({});
    expect(config).toMatchObject({ host: '127.0.0.1', port: 8703, adminTokens: [] });
    expect(config.plansFile).toMatch(/services\/billing\/plans\.example\.yaml$/);
  });
  it('parses consumer tokens and reports every problem', () => {
    expect(dashboardConfigFromEnv({ QUERY_CONSUMER_TOKENS: 'aaaaaaaaaaaaaaaa:alice, bbbbbbbbbbbbbbbb:bob' }).consumerTokens).toEqual(new Map([['aaaaaaaaaaaaaaaa', 'alice'], ['bbbbbbbbbbbbbbbb', 'bob']]));
    try {
      dashboardConfigFromEnv({ QUERY_TOKENS: 'short', QUERY_CONSUMER_TOKENS: 'nocolon,tiny:x', DASHBOARD_PORT: 'x', CLICKHOUSE_DATABASE: 'a-b' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(5);
    }
  });
});
