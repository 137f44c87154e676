import { describe, expect, it } from 'vitest';
import { nginx, sumUpstreamTimes } from '../../src/ingest/formats/nginx.ts';
import { events, mapFixture } from './helpers.ts';

describe('nginx (JSON log_format)', () => {
  it('maps lines in the documented tollgate format', () => {
    const [ok, auth] = events(mapFixture(nginx, 'nginx/tollgate-format.ndjson'));
    expect(ok).toEqual({
      schema: 'api-request/v1',
      event_id: 'nginx:4f7c2b8e9d0a41b6a3c5e7f9b1d3e5a7',
      timestamp: '2026-06-26T09:10:47.123Z',
      gateway: { kind: 'nginx' },
      request_id: '4f7c2b8e9d0a41b6a3c5e7f9b1d3e5a7',
      api: 'api.example.com',
      method: 'GET',
      path: '/v1/orders/42',
      host: 'api.example.com',
      status: 200,
      request_bytes: 412,
      response_bytes: 1893,
      latency_ms: { total: 52, upstream: 48 },
      upstream: { address: '10.0.0.12:8080' },
      client_ip: '198.51.100.23',
      forwarded_for: ['203.0.113.7', '198.51.100.23'],
      user_agent: 'curl/8.7.1',
    });
    expect(auth).toEqual({
      schema: 'api-request/v1',
      event_id: 'nginx:0b1d3f5a7c9e4b2d8f6a1c3e5b7d9f0a',
      timestamp: '2026-06-26T09:10:48.500Z',
      gateway: { kind: 'nginx' },
      request_id: '0b1d3f5a7c9e4b2d8f6a1c3e5b7d9f0a',
      method: 'POST',
      path: '/v1/reports',
      host: 'api.example.com',
      status: 401,
      request_bytes: 210,
      response_bytes: 188,
      latency_ms: { total: 0 },
      client_ip: '2001:db8::7',
      user_agent: 'python-requests/2.32.3',
      consumer: { id: 'alice', auth_method: 'basic-auth' },
    });
  });

  it('maps common community JSON formats through the key aliases', () => {
    const [first, second] = events(mapFixture(nginx, 'nginx/common-json-formats.ndjson'));
    expect(first).toEqual({
      schema: 'api-request/v1',
      event_id: 'gen-1',
      timestamp: '2026-02-10T19:30:45.000Z',
      gateway: { kind: 'nginx' },
      method: 'GET',
      path: '/api/users',
      status: 200,
      response_bytes: 2048,
      latency_ms: { total: 123, upstream: 89 },
      client_ip: '192.168.1.10',
      user_agent: 'curl/7.68.0',
    });
    expect(second).toEqual({
      schema: 'api-request/v1',
      event_id: 'nginx:a1b2c3d4e5f6',
      timestamp: '2025-12-20T13:32:18.000Z',
      gateway: { kind: 'nginx' },
      request_id: 'a1b2c3d4e5f6',
      method: 'GET',
      path: '/api/users',
      status: 200,
      response_bytes: 1534,
      latency_ms: { total: 52, upstream: 50 },
      client_ip: '192.168.1.50',
      user_agent: 'Mozilla/5.0...',
      consumer: { id: 'alice', auth_method: 'basic-auth' },
    });
  });

  it('reads Tollgate\'s consumer and decision (auth_request_set): the consumer wins over $remote_user, empty or "-" is none, an unknown decision rejects the line', () => {
    const results = mapFixture(nginx, 'nginx/tollgate-decision.ndjson');
    const [allowed, quota, unknownConsumer, none] = events(results.slice(0, 4));
    expect([allowed?.consumer, allowed?.decision, allowed?.status]).toEqual([{ id: 'acme-42', auth_method: 'tollgate' }, 'allow', 200]);
    expect([quota?.consumer, quota?.decision, quota?.status]).toEqual([{ id: 'acme-42', auth_method: 'tollgate' }, 'quota', 429]);
    expect(unknownConsumer).not.toHaveProperty('consumer');
    expect(unknownConsumer?.decision).toBe('unknown_consumer');
    expect(none?.consumer).toEqual({ id: 'bob', auth_method: 'basic-auth' });
    expect(none).not.toHaveProperty('decision');
    expect(results[4]).toEqual({ ok: false, reason: '/decision must be one of allow, quota, rate, not_entitled, suspended, blocked, unknown_consumer' });
  });

  it('lines without the two keys (the log_format before them) map as before, with no decision', () => {
    for (const event of events(mapFixture(nginx, 'nginx/tollgate-format.ndjson'))) expect(event).not.toHaveProperty('decision');
  });

  it('sums $upstream_response_time across tried upstreams and redirects', () => {
    expect(sumUpstreamTimes('0.010, 0.002')).toBeCloseTo(0.012);
    expect(sumUpstreamTimes('0.010, 0.002 : 0.005')).toBeCloseTo(0.017);
    expect(sumUpstreamTimes('-')).toBeUndefined();
    expect(sumUpstreamTimes('-, 0.004')).toBeCloseTo(0.004);
    expect(sumUpstreamTimes(undefined)).toBeUndefined();
  });
});
