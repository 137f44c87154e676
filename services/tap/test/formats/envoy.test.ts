import { describe, expect, it } from 'vitest';
import { envoy } from '../../src/ingest/formats/envoy.ts';
import { context, events, fixture, hmac, mapFixture } from './helpers.ts';

describe('envoy / istio', () => {
  it('maps the Istio docs sleep → httpbin example (client and server sidecar)', () => {
    const [sleep, httpbin] = events(mapFixture(envoy, 'envoy/istio-docs-sleep-httpbin.ndjson'));
    expect(sleep).toEqual({
      schema: 'api-request/v1',
      event_id: 'istio:84961386-6d84-929d-98bd-c5aee93b5c88:1606339578409',
      timestamp: '2020-11-25T21:26:18.409Z',
      gateway: { kind: 'istio' },
      request_id: '84961386-6d84-929d-98bd-c5aee93b5c88',
      api: 'httpbin.foo.svc.cluster.local',
      route: 'default',
      method: 'GET',
      path: '/status/418',
      host: 'httpbin:8000',
      status: 418,
      request_bytes: 0,
      response_bytes: 135,
      latency_ms: { total: 4, upstream: 4 },
      upstream: { service: 'outbound|8000||httpbin.foo.svc.cluster.local', address: '10.44.1.27:80' },
      client_ip: '10.44.1.23',
      user_agent: 'curl/7.73.0-DEV',
    });
    expect(httpbin).toEqual({
      schema: 'api-request/v1',
      // Same request seen by both sidecars: same id, so the pipeline counts it once.
      event_id: 'istio:84961386-6d84-929d-98bd-c5aee93b5c88:1606339578409',
      timestamp: '2020-11-25T21:26:18.409Z',
      gateway: { kind: 'istio' },
      request_id: '84961386-6d84-929d-98bd-c5aee93b5c88',
      route: 'default',
      method: 'GET',
      path: '/status/418',
      host: 'httpbin:8000',
      status: 418,
      request_bytes: 0,
      response_bytes: 135,
      latency_ms: { total: 3, upstream: 1 },
      upstream: { service: 'inbound|8000||', address: '127.0.0.1:80' },
      client_ip: '10.44.1.23',
      user_agent: 'curl/7.73.0-DEV',
    });
  });

  it('maps Istio ingress gateway lines, skipping the blank line, with numbers as numbers or strings', () => {
    const [ingress, bookinfo] = events(mapFixture(envoy, 'envoy/istio-ingressgateway.ndjson', 'application/x-ndjson', context({ gatewayInstance: 'istio-ingressgateway' })));
    expect(ingress).toEqual({
      schema: 'api-request/v1',
      event_id: 'istio:a279ad6e-0e1c-98ea-9d74-d6028e2017f8:1622400642181',
      timestamp: '2021-05-30T18:50:42.181Z',
      gateway: { kind: 'istio', instance: 'istio-ingressgateway' },
      request_id: 'a279ad6e-0e1c-98ea-9d74-d6028e2017f8',
      api: 'frontend.online-boutique.svc.cluster.local',
      method: 'GET',
      path: '/wrongpath',
      host: '127.0.0.1',
      status: 404,
      request_bytes: 0,
      response_bytes: 19,
      latency_ms: { total: 3, upstream: 2 },
      upstream: { service: 'outbound|80||frontend.online-boutique.svc.cluster.local', address: '172.17.0.9:8080' },
      client_ip: '172.17.0.1',
      forwarded_for: ['172.17.0.1'],
      user_agent: 'curl/7.64.1',
    });
    expect(bookinfo).toEqual({
      schema: 'api-request/v1',
      event_id: 'istio:9bab4f77-f271-9d8b-9cf7-127055663144:1601436162267',
      timestamp: '2020-09-30T03:22:42.267Z',
      gateway: { kind: 'istio', instance: 'istio-ingressgateway' },
      request_id: '9bab4f77-f271-9d8b-9cf7-127055663144',
      api: 'details.default.svc.cluster.local',
      method: 'GET',
      path: '/details/0',
      host: 'details:9080',
      status: 200,
      request_bytes: 0,
      response_bytes: 178,
      latency_ms: { total: 1, upstream: 1 },
      upstream: { service: 'outbound|9080|v1|details.default.svc.cluster.local', address: '10.244.2.75:9080' },
      client_ip: '10.244.2.77',
      user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/85.0.4183.121 Safari/537.36',
    });
  });

  it('maps Envoy Gateway default-format lines (header-named keys) as kind envoy, dropping the query', () => {
    const [waypoint, ai] = events(mapFixture(envoy, 'envoy/envoy-gateway.ndjson'));
    expect(waypoint).toEqual({
      schema: 'api-request/v1',
      event_id: 'envoy:ab1e4da7-5f1d-45ea-bb4a-fa1ccd03b82b:1744199085639',
      timestamp: '2025-04-09T11:44:45.639Z',
      gateway: { kind: 'envoy' },
      request_id: 'ab1e4da7-5f1d-45ea-bb4a-fa1ccd03b82b',
      route: 'httproute/envoy-gateway-system/backend/rule/0/match/0/backend',
      method: 'GET',
      path: '/',
      host: 'backend:3000',
      status: 200,
      request_bytes: 0,
      response_bytes: 466,
      latency_ms: { total: 1 },
      upstream: { service: 'httproute/envoy-gateway-system/backend/rule/0', address: '10.244.0.13:3000' },
      client_ip: '10.244.0.12',
      forwarded_for: ['10.244.0.12'],
      user_agent: 'curl/7.88.1',
    });
    expect(ai).toEqual({
      schema: 'api-request/v1',
      event_id: 'envoy:5d1f7c1e-0b7a-4f7e-9a51-8c2b7f3e9d10:1748764800000',
      timestamp: '2025-06-01T08:00:00.000Z',
      gateway: { kind: 'envoy' },
      request_id: '5d1f7c1e-0b7a-4f7e-9a51-8c2b7f3e9d10',
      method: 'POST',
      path: '/openai/deployments/gpt-4o/chat/completions',
      status: 502,
      latency_ms: { total: 412 },
      upstream: { service: 'httproute/envoy-ai-gateway-system/envoy-ai-gateway/rule/7', address: '20.191.161.227:443' },
    });
  });

  it('reads Envoy command-operator keys and the x-envoy-upstream-service-time header value', () => {
    const result = envoy.map({
      START_TIME: '2026-01-02T03:04:05.678Z', ':method': 'put', PATH: '/v1/items/9?token=abc', RESPONSE_CODE: '204',
      BYTES_RECEIVED: '12', BYTES_SENT: '0', DURATION: '15', 'X-ENVOY-UPSTREAM-SERVICE-TIME': '11',
      'X-REQUEST-ID': 'r-1', 'DOWNSTREAM_REMOTE_ADDRESS': '[2001:db8::5]:41000',
    }, context());
    expect(result).toEqual({
      ok: true,
      event: {
        schema: 'api-request/v1',
        event_id: 'envoy:r-1:1767323045678',
        timestamp: '2026-01-02T03:04:05.678Z',
        gateway: { kind: 'envoy' },
        request_id: 'r-1',
        method: 'PUT',
        path: '/v1/items/9',
        status: 204,
        request_bytes: 12,
        response_bytes: 0,
        latency_ms: { total: 15, upstream: 11 },
        client_ip: '2001:db8::5',
        consumer: { auth_method: 'bearer', credential_hmac: hmac('abc') },
      },
    });
  });

  it('reads Tollgate\'s decision and consumer (ext_authz, logged with %RESP(…)%): Tollgate\'s consumer wins over x-consumer-id', () => {
    const line = { start_time: '2026-01-02T03:04:05.678Z', method: 'GET', path: '/v1/search', response_code: '403', 'x-consumer-id': 'gateway-id' };
    const refused = envoy.map({ ...line, tollgate_decision: 'not_entitled', tollgate_consumer: 'acme-42' }, context());
    expect(refused.ok && [refused.event.decision, refused.event.consumer]).toEqual(['not_entitled', { id: 'acme-42' }]);
    const headerKeys = envoy.map({ ...line, 'X-TOLLGATE-DECISION': 'rate' }, context());
    expect(headerKeys.ok && [headerKeys.event.decision, headerKeys.event.consumer]).toEqual(['rate', { id: 'gateway-id' }]);
    const unset = envoy.map({ ...line, tollgate_decision: '-', tollgate_consumer: '-' }, context());
    expect(unset.ok && unset.event).not.toHaveProperty('decision');
    expect(envoy.map({ ...line, tollgate_decision: 'nope' }, context())).toMatchObject({ ok: false, reason: expect.stringMatching(/^\/decision must be one of allow, quota/) });
  });

  it('keeps valid lines when one NDJSON line is malformed, rejecting that line by index', () => {
    const lines = fixture('envoy/istio-docs-sleep-httpbin.ndjson').trim().split('\n');
    const body = [lines[0], '{"method": "GET", "path": ', lines[1]].join('\n');
    const split = envoy.split(body, 'application/x-ndjson');
    expect(split.ok && split.records.length).toBe(3);
    const results = split.ok ? split.records.map((r) => envoy.map(r, context())) : [];
    expect(results.map((r) => r.ok)).toEqual([true, false, true]);
    expect(results[1]).toMatchObject({ ok: false, reason: expect.stringMatching(/^line 2 is not valid JSON/) });
  });

  it('accepts a JSON array body and refuses a body with no JSON at all', () => {
    expect(envoy.split('[{"a":1}]', 'application/json')).toEqual({ ok: true, records: [{ a: 1 }] });
    expect(envoy.split('hello\nworld\n', 'text/plain')).toMatchObject({ ok: false, reason: expect.stringMatching(/^body is not JSON or NDJSON/) });
    expect(envoy.split('\n\n', 'text/plain')).toEqual({ ok: true, records: [] });
  });
});
