import { describe, expect, it } from 'vitest';
import { seededRandom } from '@tollgate/platform';
import { GATEWAY_DECISIONS, isRefusedByPolicy, type ApiRequestEvent } from '../src/api-request.ts';
import { apiRequestV1Schema, isCanonicalUtc, validateApiRequest } from '../src/validate.ts';

const full: ApiRequestEvent = {
  schema: 'api-request/v1',
  event_id: 'kong-8e8b5b2a-2d1c-4c0e-9d7a-1f0c3c0e4a11',
  timestamp: '2026-11-26T06:20:27.123Z',
  gateway: { kind: 'kong', instance: 'kong-dp-1' },
  request_id: '8e8b5b2a-2d1c-4c0e-9d7a-1f0c3c0e4a11',
  api: 'orders',
  route: 'orders-v1',
  method: 'POST',
  path: '/v1/orders/123',
  path_template: '/v1/orders/{id}',
  host: 'api.example.com',
  status: 201,
  request_bytes: 512,
  response_bytes: 1024,
  latency_ms: { total: 12.5, upstream: 10, gateway: 2.5 },
  upstream: { service: 'orders-svc', address: '10.0.0.7:8080' },
  client_ip: '2001:db8::1',
  forwarded_for: ['203.0.113.9', '10.0.0.2'],
  user_agent: 'curl/8.5.0',
  consumer: {
    id: 'c-42',
    app_id: 'app-7',
    subject: 'user@example.com',
    org_id: 'org-1',
    scopes: ['orders:write'],
    auth_method: 'key-auth',
    credential_hmac: 'ab12',
  },
};

const minimal = {
  schema: 'api-request/v1',
  event_id: 'e1',
  timestamp: '2026-11-26T06:20:27.000Z',
  gateway: { kind: 'generic' },
  method: 'GET',
  path: '/',
  status: 200,
};

describe('api-request v1 validator', () => {
  it('accepts a full event and a minimal one', () => {
    expect(validateApiRequest(full)).toEqual({ ok: true, event: full });
    expect(validateApiRequest(minimal).ok).toBe(true);
  });

  const invalid: Array<[string, unknown, RegExp]> = [
    ['not an object', 'hello', /^event must be object/],
    ['null', null, /^event must be object/],
    ['missing event_id', { ...minimal, event_id: undefined }, /^\/event_id is required$/],
    ['missing timestamp', { ...minimal, timestamp: undefined }, /^\/timestamp is required$/],
    ['missing method', { ...minimal, method: undefined }, /^\/method is required$/],
    ['missing gateway kind', { ...minimal, gateway: {} }, /^\/gateway\/kind is required$/],
    ['empty event_id', { ...minimal, event_id: '' }, /^\/event_id must NOT have fewer than 1 characters/],
    ['wrong schema version', { ...minimal, schema: 'api-request/v2' }, /^\/schema must be "api-request\/v1"/],
    ['bad timestamp', { ...minimal, timestamp: 'yesterday' }, /^\/timestamp must match format "date-time"/],
    ['status out of range', { ...minimal, status: 1000 }, /^\/status must be <= 999/],
    ['status not integer', { ...minimal, status: 200.5 }, /^\/status must be integer/],
    ['lowercase method', { ...minimal, method: 'get' }, /^\/method must match pattern/],
    ['unknown gateway kind', { ...minimal, gateway: { kind: 'haproxy' } }, /^\/gateway\/kind must be one of kong/],
    ['negative bytes', { ...minimal, response_bytes: -1 }, /^\/response_bytes must be >= 0/],
    ['bad client ip', { ...minimal, client_ip: '999.1.1.1' }, /^\/client_ip must be an IPv4 or IPv6 address/],
    ['consumer id not a string', { ...minimal, consumer: { id: 42 } }, /^\/consumer\/id must be string/],
    ['negative latency', { ...minimal, latency_ms: { total: -3 } }, /^\/latency_ms\/total must be >= 0/],
    ['unknown field', { ...minimal, colour: 'blue' }, /^event has unknown field "colour"/],
    ['unknown consumer field', { ...minimal, consumer: { password: 'x' } }, /^\/consumer has unknown field "password"/],
  ];

  it.each(invalid)('rejects %s with a message naming the field', (_name, candidate, reason) => {
    const result = validateApiRequest(candidate);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });
});

describe('decision (optional, additive in v1)', () => {
  it('accepts every gateway decision, and events without one stay valid', () => {
    for (const decision of GATEWAY_DECISIONS) {
      expect(validateApiRequest({ ...full, decision }), decision).toEqual({ ok: true, event: { ...full, decision } });
    }
    expect(validateApiRequest(full).ok).toBe(true);
    expect(validateApiRequest(minimal).ok).toBe(true);
  });

  it('rejects an unknown or mistyped decision with a message listing the valid ones', () => {
    for (const decision of ['deny', 'ALLOW', '', '-', 403, null]) {
      const result = validateApiRequest({ ...minimal, decision });
      expect(result, String(decision)).toEqual({ ok: false, reason: '/decision must be one of allow, quota, rate, not_entitled, suspended, blocked, unknown_consumer' });
    }
  });

  it('the TypeScript list is the schema\'s enum', () => {
    const properties = (apiRequestV1Schema as { properties: Record<string, { enum?: string[] }> }).properties;
    expect(properties.decision?.enum).toEqual([...GATEWAY_DECISIONS]);
  });

  it('a refusal is any decision but allow; no decision is no refusal', () => {
    expect(GATEWAY_DECISIONS.filter(isRefusedByPolicy)).toEqual(['quota', 'rate', 'not_entitled', 'suspended', 'blocked', 'unknown_consumer']);
    expect([isRefusedByPolicy(undefined), isRefusedByPolicy(''), isRefusedByPolicy('allow')]).toEqual([false, false, false]);
  });
});

describe('isCanonicalUtc (the fast path of timestamps and of the date-time format)', () => {
  /** What the slow way says: the text is exactly the ISO form of the instant it parses to. */
  const roundTrips = (text: string): boolean => {
    const ms = Date.parse(text);
    return Number.isFinite(ms) && new Date(ms).toISOString() === text;
  };
  const random = seededRandom(42);
  const next = (n: number): number => Math.floor(random() * n);
  const pad = (n: number, width: number): string => String(n).padStart(width, '0');

  it('agrees with a Date round trip on 20 000 near-valid strings (days 0–32, hours to 25, leap years)', () => {
    let valid = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const text = `${pad(1996 + next(12), 4)}-${pad(next(14), 2)}-${pad(next(33), 2)}T${pad(next(26), 2)}:${pad(next(62), 2)}:${pad(next(62), 2)}.${pad(next(1000), 3)}Z`;
      expect(isCanonicalUtc(text), text).toBe(roundTrips(text));
      if (roundTrips(text)) valid += 1;
    }
    expect(valid).toBeGreaterThan(10_000);
  });

  it('refuses everything but the exact form', () => {
    for (const text of ['2024-02-29T10:00:00.000Z', '2000-02-29T00:00:00.000Z']) expect(isCanonicalUtc(text), text).toBe(true);
    for (const text of [
      '2023-02-29T10:00:00.000Z', '1900-02-29T10:00:00.000Z', '2026-11-26T24:00:00.000Z', '2026-11-26T10:00:60.000Z',
      '2026-11-26T10:00:00Z', '2026-11-26t10:00:00.000Z', '2026-11-26T10:00:00.000+00:00', '2026-11-26T10:00:00.00aZ',
      '2026-11-26 10:00:00.000Z', '+02026-11-26T10:00:00.000', '2026-1-026T10:00:00.000Z', '',
    ]) expect(isCanonicalUtc(text), text).toBe(false);
  });

  it('leaves other RFC 3339 forms to the general format check', () => {
    for (const timestamp of ['2026-11-26T10:00:00Z', '2026-11-26T10:00:00.123456+02:00', '2016-12-31T23:59:60Z']) {
      expect(validateApiRequest({ ...full, timestamp }).ok, timestamp).toBe(true);
    }
    expect(validateApiRequest({ ...full, timestamp: '2026-02-30T10:00:00.000Z' }).ok).toBe(false);
  });
});
