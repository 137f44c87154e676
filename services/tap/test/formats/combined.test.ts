import { describe, expect, it } from 'vitest';
import { combined } from '../../src/ingest/formats/combined.ts';
import { context, events, hmac, mapFixture } from './helpers.ts';

describe('combined (NGINX / Apache text)', () => {
  it('maps the Apache docs Combined and Common Log Format examples', () => {
    const [full, common] = events(mapFixture(combined, 'combined/apache-docs.log'));
    expect(full).toEqual({
      schema: 'api-request/v1',
      event_id: 'gen-1',
      timestamp: '2000-10-10T20:55:36.000Z',
      gateway: { kind: 'generic' },
      method: 'GET',
      path: '/apache_pb.gif',
      status: 200,
      response_bytes: 2326,
      client_ip: '127.0.0.1',
      user_agent: 'Mozilla/4.08 [en] (Win98; I ;Nav)',
      consumer: { id: 'frank', auth_method: 'basic-auth' },
    });
    expect(common).toEqual({
      schema: 'api-request/v1',
      event_id: 'gen-2',
      timestamp: '2000-10-10T20:55:36.000Z',
      gateway: { kind: 'generic' },
      method: 'GET',
      path: '/apache_pb.gif',
      status: 200,
      response_bytes: 2326,
      client_ip: '127.0.0.1',
      consumer: { id: 'frank', auth_method: 'basic-auth' },
    });
  });

  it('maps nginx default lines: secret query hashed, IPv6, "-" bytes, escaped quotes; rejects a garbage request line', () => {
    const results = mapFixture(combined, 'combined/nginx-default.log', 'text/plain', context({ gatewayInstance: 'edge-1' }));
    expect(results).toHaveLength(3);
    expect(results[0]).toEqual({
      ok: true,
      event: {
        schema: 'api-request/v1',
        event_id: 'gen-1',
        timestamp: '2026-08-26T09:09:07.000Z',
        gateway: { kind: 'generic', instance: 'edge-1' },
        method: 'GET',
        path: '/index.php',
        status: 200,
        response_bytes: 1024,
        client_ip: '172.18.0.1',
        user_agent: 'curl/8.7.1',
        consumer: { auth_method: 'bearer', credential_hmac: hmac('SECRET') },
      },
    });
    expect(results[1]).toEqual({
      ok: true,
      event: {
        schema: 'api-request/v1',
        event_id: 'gen-2',
        timestamp: '2025-06-28T10:30:45.000Z',
        gateway: { kind: 'generic', instance: 'edge-1' },
        method: 'POST',
        path: '/v1/orders',
        status: 201,
        client_ip: '2001:db8::1',
        user_agent: 'Mozilla/5.0 "quoted" agent',
      },
    });
    expect(results[2]).toEqual({ ok: false, reason: String.raw`request line "\x16\x03\x01\x00\xa5" is not "METHOD target PROTOCOL"` });
  });
});
