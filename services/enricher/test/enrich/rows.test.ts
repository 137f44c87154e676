import { describe, expect, it } from 'vitest';
import { compileCatalog } from '@tollgate/catalog';
import { clickHouseTime } from '@tollgate/platform';
import { emptyConsumer } from '@tollgate/registry';
import type { ApiRequestEvent } from '@tollgate/schemas';
import { parseTrustedProxies } from '../../src/enrich/client-ip.ts';
import { enrichEvent, USAGE_COLUMNS, WhereCache, type EnrichDeps } from '../../src/rows.ts';

const base: ApiRequestEvent = {
  schema: 'api-request/v1',
  event_id: 'e1',
  timestamp: '2026-11-26T06:20:27.123Z',
  gateway: { kind: 'kong' },
  method: 'GET',
  path: '/v1/orders/42',
  status: 503,
  client_ip: '10.0.0.9',
  forwarded_for: ['128.112.128.15', '10.0.0.2'],
  consumer: { id: 'c1' },
};

const deps = (where?: WhereCache): EnrichDeps => ({
  trustedProxies: parseTrustedProxies(['10.0.0.0/8']),
  ipPrivacy: { mode: 'truncate', ipv4Prefix: 24, ipv6Prefix: 48 },
  catalog: compileCatalog([]),
  consumer: (id) => (id === 'c1' ? { ...emptyConsumer('c1'), org_id: 'acme', plan_id: 'pro' } : undefined),
  ...(where ? { where } : {}),
});

const column = (row: unknown[], name: (typeof USAGE_COLUMNS)[number]) => row[USAGE_COLUMNS.indexOf(name)];

describe('usage rows', () => {
  it('keeps the credential HMAC (key-only traffic can be attributed later) and the accepting tap token\'s name (traceable traffic)', () => {
    const { usage } = enrichEvent({ ...base, consumer: { auth_method: 'key-auth', credential_hmac: 'hmac-of-key' } }, deps(), { partition: 0, offset: '1' });
    expect(column(usage, 'credential_hmac')).toBe('hmac-of-key');
    expect(column(usage, 'tap_token')).toBe('');
    expect(column(enrichEvent({ ...base, tap_token: 'edge-eu' }, deps(), { partition: 0, offset: '2' }).usage, 'tap_token')).toBe('edge-eu');
    expect(column(usage, 'consumer_id')).toBe('');
  });

  it('walks X-Forwarded-For across trusted proxies, stores only the masked address with its geography', () => {
    const { usage } = enrichEvent(base, deps(), { partition: 2, offset: '77' });
    expect(column(usage, 'client_ip')).toBe('128.112.128.0/24');
    expect(column(usage, 'city')).toBe('Princeton');
    expect(column(usage, 'status_class')).toBe('5xx');
    expect(column(usage, 'org_id')).toBe('acme');
    expect(column(usage, 'plan_id')).toBe('pro');
    expect(column(usage, 'path_template')).toBe('/v1/orders/{id}');
    expect(column(usage, 'kafka_offset')).toBe('77');
  });

  it('the per-address memo changes nothing but the cost, even when it starts over', () => {
    const cache = new WhereCache(2);
    const events = ['128.112.128.15', '133.11.0.1', '10.1.1.1', '128.112.128.15', '2a00:1450:4001:82a::200e'].map((ip, i) => ({
      ...base,
      event_id: `e${i}`,
      client_ip: ip,
      forwarded_for: undefined,
    }));
    for (const event of events) {
      expect(enrichEvent(event, deps(cache), { partition: 0, offset: '1' })).toEqual(enrichEvent(event, deps(), { partition: 0, offset: '1' }));
    }
  });

  it('formats timestamps for DateTime64: the canonical form by slicing, others through Date', () => {
    expect(clickHouseTime('2026-11-26T06:20:27.123Z')).toBe('2026-11-26 06:20:27.123');
    expect(clickHouseTime('2026-11-26T07:20:27+01:00')).toBe('2026-11-26 06:20:27.000');
  });
});

describe('gateway decisions and key-only traffic', () => {
  const position = { partition: 0, offset: '1' };
  const withKeys: EnrichDeps = { ...deps(), keyOwner: (hmac) => (hmac === 'hmac-of-c1-key' ? 'c1' : undefined) };

  it('a call refused by policy is stored with its decision and never billable; allowed and undecided calls keep the catalog\'s billable', () => {
    const stored = (decision: ApiRequestEvent['decision']) => {
      const { usage } = enrichEvent({ ...base, status: 429, ...(decision ? { decision } : {}) }, deps(), position);
      return [column(usage, 'decision'), column(usage, 'billable')];
    };
    expect(stored(undefined)).toEqual(['', true]);
    expect(stored('allow')).toEqual(['allow', true]);
    for (const refusal of ['quota', 'rate', 'not_entitled', 'suspended', 'blocked', 'unknown_consumer'] as const) expect(stored(refusal)).toEqual([refusal, false]);
    const nonBillableRoute = { ...deps(), catalog: compileCatalog([{ match: {}, product: 'health', billable: false }]) };
    expect(column(enrichEvent({ ...base, decision: 'allow' }, nonBillableRoute, position).usage, 'billable')).toBe(false);
  });

  it('a call identified only by its key is attributed to the key\'s owner, with the owner\'s organisation and plan', () => {
    const { usage, unknownConsumer } = enrichEvent({ ...base, consumer: { auth_method: 'key-auth', credential_hmac: 'hmac-of-c1-key' } }, withKeys, position);
    expect([column(usage, 'consumer_id'), column(usage, 'consumer_known'), column(usage, 'org_id'), column(usage, 'plan_id')]).toEqual(['c1', true, 'acme', 'pro']);
    expect(column(usage, 'credential_hmac')).toBe('hmac-of-c1-key');
    expect(unknownConsumer).toBe(false);
  });

  it('a key no consumer owns leaves the call anonymous; a consumer id the gateway logged wins over the key', () => {
    const anonymous = enrichEvent({ ...base, consumer: { credential_hmac: 'hmac-of-nobody' } }, withKeys, position);
    expect([column(anonymous.usage, 'consumer_id'), column(anonymous.usage, 'consumer_known'), anonymous.unknownConsumer]).toEqual(['', false, false]);
    const named = enrichEvent({ ...base, consumer: { id: 'c2', credential_hmac: 'hmac-of-c1-key' } }, withKeys, position);
    expect(column(named.usage, 'consumer_id')).toBe('c2');
  });
});
