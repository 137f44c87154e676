// The original request as the gateways describe it: in the path, or in X-Original/X-Forwarded headers.
import { describe, expect, it } from 'vitest';
import { originalRequest, presentedApiKey } from '../../src/routes/original-request.ts';

describe('originalRequest', () => {
  it("reads the path form (Envoy, APISIX) with the call's own method and host", () => {
    expect(originalRequest('POST', '/v1/authorize/orders/1?x=2', { host: 'api.example.com' })).toEqual({ method: 'POST', host: 'api.example.com', uri: '/orders/1?x=2' });
    expect(originalRequest('GET', '/v1/authorize/', {})).toEqual({ method: 'GET', host: '', uri: '/' });
  });

  it('reads the header form (NGINX, Caddy, Traefik)', () => {
    const headers = { host: 'billing:8702', 'x-original-uri': '/search?q=1', 'x-forwarded-method': 'put', 'x-forwarded-host': 'api.example.com' };
    expect(originalRequest('GET', '/v1/authorize', headers)).toEqual({ method: 'PUT', host: 'api.example.com', uri: '/search?q=1' });
    expect(originalRequest('GET', '/v1/authorize', { 'x-forwarded-uri': '/orders' }).uri).toBe('/orders');
    expect(originalRequest('GET', '/v1/authorize', {}).uri).toBe('/');
  });
});

describe('presentedApiKey', () => {
  it('takes the first configured header, else the api_key query parameter', () => {
    expect(presentedApiKey({ apikey: 'b', 'x-api-key': 'a' }, ['x-api-key', 'apikey'], '/x?api_key=c')).toBe('a');
    expect(presentedApiKey({ apikey: 'b' }, ['x-api-key', 'apikey'], '/x')).toBe('b');
    expect(presentedApiKey({}, ['x-api-key'], '/x?a=1&api_key=c%2Bd')).toBe('c+d');
    expect(presentedApiKey({}, ['x-api-key'], '/x?my_api_key=c')).toBeUndefined();
    expect(presentedApiKey({}, ['x-api-key'], '/x?api_key=')).toBeUndefined();
  });
});
