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
