import { describe, expect, it } from 'vitest';
import { kong } from '../../src/ingest/formats/kong.ts';
import { context, events, fixture, hmac, mapFixture, only } from './helpers.ts';

describe('kong', () => {
  it('maps the Kong 3.8 http-log sample from the docs', () => {
    expect(only(mapFixture(kong, 'kong/http-log-3.8.json'))).toEqual({
      schema: 'api-request/v1',
      event_id: 'kong:2f6946328ffc4946b8c9120704a4a155',
      timestamp: '2024-09-19T22:10:39.538Z',
      gateway: { kind: 'kong', instance: 'default' },
      request_id: '2f6946328ffc4946b8c9120704a4a155',
      api: 'example_service',
      route: 'example_route',
      method: 'GET',
      path: '/example-route',
      path_template: '/example-route',
      host: 'localhost:8000',
      status: 200,
      request_bytes: 139,
      response_bytes: 9982,
      latency_ms: { total: 173, upstream: 171, gateway: 1 },
      upstream: { service: 'example_service', address: '34.237.204.224:80' },
      client_ip: '192.168.65.1',
      user_agent: 'HTTPie/3.2.3',
    });
  });

  it('maps the Kong 1.0 file-log sample: string sizes, consumer, credential id hashed, no request id', () => {
    expect(only(mapFixture(kong, 'kong/file-log-1.0.json'))).toEqual({
      schema: 'api-request/v1',
      event_id: 'gen-1',
      timestamp: '2015-06-02T01:50:22.425Z',
      gateway: { kind: 'kong' },
      api: 'myservice',
      route: '75818c5f-202d-4b82-a553-6a46e7c9a19e',
      method: 'GET',
      path: '/get',
      path_template: '/example-path',
      host: 'httpbin.org',
      status: 200,
      request_bytes: 75,
      response_bytes: 434,
      latency_ms: { total: 1921, upstream: 1430, gateway: 9 },
      upstream: { service: 'myservice', address: '127.0.0.1:8000' },
      client_ip: '127.0.0.1',
      user_agent: 'curl/7.37.1',
      consumer: { id: 'demo', credential_hmac: hmac('eaa330c0-4cff-47f5-c79e-b2e4f355207e') },
    });
  });

  it('takes the instance from the tap config when the record names no workspace', () => {
    const event = only(mapFixture(kong, 'kong/file-log-1.0.json', 'application/json', context({ gatewayInstance: 'kong-dp-1' })));
    expect(event.gateway).toEqual({ kind: 'kong', instance: 'kong-dp-1' });
  });

  it('maps a batched (max_batch_size > 1) body record by record', () => {
    const [first, second] = events(mapFixture(kong, 'kong/batch-2.2.json'));
    const expected = {
      schema: 'api-request/v1',
      event_id: 'gen-1',
      timestamp: '2021-02-25T05:57:48.342Z',
      gateway: { kind: 'kong', instance: 'default' },
      api: 'httpbin.org',
      route: '78f79740-c410-4fd9-a998-d0a60a99dc9b',
      method: 'GET',
      path: '/log',
      path_template: '/log',
      host: 'localhost:8000',
      status: 200,
      request_bytes: 138,
      response_bytes: 827,
      latency_ms: { total: 515, upstream: 457, gateway: 58 },
      upstream: { service: 'httpbin.org', address: '18.211.130.98:80' },
      client_ip: '192.168.144.1',
      user_agent: 'HTTPie/2.4.0',
      consumer: { id: 'foo', credential_hmac: hmac('c62c1455-9b1d-4f2d-8797-509ba83b8ae8') },
    };
    expect(first).toEqual(expected);
    expect(second).toEqual({ ...expected, event_id: 'gen-2' });
  });

  it('keeps credentials out of the event: query dropped, key hashed, redacted Authorization ignored', () => {
    const event = only(mapFixture(kong, 'kong/http-log-3.8-with-credentials.json'));
    expect(event).toMatchObject({
      path: '/example-route',
      status: 401,
      latency_ms: { total: 3, gateway: 3 },
      forwarded_for: ['203.0.113.7', '10.0.0.2'],
      // custom_id wins as the consumer id; the authenticated credential id is the credential.
      consumer: { id: 'cust_4711', auth_method: 'key-auth', credential_hmac: hmac('eaa330c0-4cff-47f5-c79e-b2e4f355207e') },
    });
    expect(event.latency_ms).not.toHaveProperty('upstream');
    const serialised = JSON.stringify(event);
    expect(serialised).not.toContain('s3cr3t-key');
    expect(serialised).not.toContain('REDACTED');
    expect(serialised).not.toContain('page=2');
  });

  it('hashes an API key from the apikey header when Kong logged no authenticated entity', () => {
    const record = JSON.parse(fixture('kong/http-log-3.8.json')) as { request: { headers: Record<string, string> } };
    record.request.headers.apikey = 'my-key';
    const result = kong.map(record, context());
    expect(result.ok && result.event.consumer).toEqual({ auth_method: 'key-auth', credential_hmac: hmac('my-key') });
  });

  it('records oauth2 and the client id when the authenticated entity is an OAuth2 credential', () => {
    const record = JSON.parse(fixture('kong/http-log-3.8.json')) as Record<string, unknown>;
    record.authenticated_entity = { id: 'cred-1', client_id: 'mobile-app' };
    const result = kong.map(record, context());
    expect(result.ok && result.event.consumer).toEqual({ app_id: 'mobile-app', auth_method: 'oauth2', credential_hmac: hmac('cred-1') });
  });

  it('reads Tollgate\'s decision and consumer from the response headers only; Kong\'s own consumer wins', () => {
    type Record_ = { request: { headers: Record<string, string> }; response: { headers: Record<string, string> }; consumer?: unknown };
    const record = JSON.parse(fixture('kong/http-log-3.8.json')) as Record_;
    record.response.headers['x-tollgate-decision'] = 'quota';
    record.response.headers['x-tollgate-consumer'] = 'acme-42';
    const refused = kong.map(record, context());
    expect(refused.ok && [refused.event.decision, refused.event.consumer?.id]).toEqual(['quota', 'acme-42']);
    const withKongConsumer = kong.map({ ...record, consumer: { custom_id: 'kong-7' } }, context());
    expect(withKongConsumer.ok && withKongConsumer.event.consumer?.id).toBe('kong-7');
    const forged = JSON.parse(fixture('kong/http-log-3.8.json')) as Record_;
    forged.request.headers['x-tollgate-decision'] = 'blocked';
    const billed = kong.map(forged, context());
    expect(billed.ok && billed.event).not.toHaveProperty('decision');
  });

  it('splits a single object, an array, and refuses a body that is not JSON', () => {
    expect(kong.split('{"request":{}}', 'application/json')).toEqual({ ok: true, records: [{ request: {} }] });
    expect(kong.split('[{"a":1},{"b":2}]', 'application/json')).toEqual({ ok: true, records: [{ a: 1 }, { b: 2 }] });
    expect(kong.split('<html>oops</html>', 'application/json')).toMatchObject({ ok: false, reason: expect.stringMatching(/^body is not valid JSON/) });
    expect(kong.split('', 'application/json')).toEqual({ ok: false, reason: 'body is empty' });
    expect(kong.split('42', 'application/json')).toEqual({ ok: false, reason: 'body must be a JSON object or array, got number' });
    expect(kong.contentTypes).toEqual(['application/json']);
  });
});
