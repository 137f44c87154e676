import { describe, expect, it } from 'vitest';
import { apisix } from '../../src/ingest/formats/apisix.ts';
import { context, fixture, hmac, mapFixture, only } from './helpers.ts';

describe('apisix', () => {
  it('maps the http-logger docs batch (default log format)', () => {
    expect(only(mapFixture(apisix, 'apisix/http-logger-batch.json'))).toEqual({
      schema: 'api-request/v1',
      event_id: 'gen-1',
      timestamp: '2024-06-13T15:06:30.508Z',
      gateway: { kind: 'apisix', instance: '7d8d831179d4' },
      route: 'http-logger-route',
      method: 'GET',
      path: '/anything',
      host: '127.0.0.1:9080',
      status: 200,
      request_bytes: 85,
      response_bytes: 617,
      latency_ms: { total: 1200, upstream: 1133, gateway: 67 },
      upstream: { address: '3.213.1.197:80' },
      client_ip: '192.168.65.1',
      user_agent: 'curl/8.6.0',
    });
  });

  it('maps the single-object default log format example, keeping fractional latencies', () => {
    expect(only(mapFixture(apisix, 'apisix/default-log-format.json'))).toEqual({
      schema: 'api-request/v1',
      event_id: 'gen-1',
      timestamp: '2024-01-06T07:49:59.740Z',
      gateway: { kind: 'apisix', instance: 'localhost' },
      route: '1',
      method: 'GET',
      path: '/opentracing',
      host: 'localhost',
      status: 200,
      request_bytes: 65,
      response_bytes: 136,
      latency_ms: { total: 112, upstream: 12, gateway: 100 },
      upstream: { address: '127.0.0.1:1982' },
      client_ip: '127.0.0.1',
    });
  });

  it('maps consumer, key-auth key, x-request-id, service and retried upstream; no query or key in the event', () => {
    const event = only(mapFixture(apisix, 'apisix/http-logger-key-auth.json'));
    expect(event).toEqual({
      schema: 'api-request/v1',
      event_id: 'apisix:7b5a4a3c-2c1e-4d0b-9c7a-1f2e3d4c5b6a:1718291190508',
      timestamp: '2024-06-13T15:06:30.508Z',
      gateway: { kind: 'apisix', instance: '7d8d831179d4' },
      request_id: '7b5a4a3c-2c1e-4d0b-9c7a-1f2e3d4c5b6a',
      api: 'orders',
      route: 'http-logger-route',
      method: 'GET',
      path: '/anything',
      host: '127.0.0.1:9080',
      status: 200,
      request_bytes: 85,
      response_bytes: 617,
      latency_ms: { total: 1200, upstream: 1133, gateway: 67 },
      upstream: { address: '3.213.1.197:80' },
      client_ip: '192.168.65.1',
      user_agent: 'curl/8.6.0',
      consumer: { id: 'jack', auth_method: 'key-auth', credential_hmac: hmac('auth-one') },
    });
    expect(JSON.stringify(event)).not.toMatch(/auth-one|k-123|log_body/);
  });

  it('accepts concat_method new_line bodies and refuses non-JSON', () => {
    const split = apisix.split('{"a":1}\n{"b":2}\n', 'application/json');
    expect(split).toEqual({ ok: true, records: [{ a: 1 }, { b: 2 }], texts: ['{"a":1}', '{"b":2}'] });
    expect(apisix.split('not json', 'application/json')).toMatchObject({ ok: false });
  });

  it('reads Tollgate\'s decision and consumer from the response headers (forward-auth client_headers), never from the request\'s', () => {
    type Record_ = { request: { headers: Record<string, string> }; response: { headers: Record<string, string> } };
    const record = JSON.parse(fixture('apisix/default-log-format.json')) as Record_;
    record.response.headers['x-tollgate-decision'] = 'suspended';
    record.response.headers['x-tollgate-consumer'] = 'acme-42';
    const refused = apisix.map(record, context());
    expect(refused.ok && [refused.event.decision, refused.event.consumer]).toEqual(['suspended', { id: 'acme-42' }]);
    const forged = JSON.parse(fixture('apisix/default-log-format.json')) as Record_;
    forged.request.headers['x-tollgate-decision'] = 'blocked';
    const billed = apisix.map(forged, context());
    expect(billed.ok && billed.event).not.toHaveProperty('decision');
  });

  it('rejects a custom log_format entry with a reason that says so', () => {
    const result = apisix.map({ host: 'localhost', '@timestamp': '2020-09-23T19:05:05-04:00', client_ip: '127.0.0.1', route_id: '1' }, context());
    expect(result).toEqual({ ok: false, reason: 'request is missing (not the APISIX default log format; a custom log_format is not supported)' });
  });
});
