import { describe, expect, it } from 'vitest';
import { derivePathTemplate, normalizePath } from '../src/path-template.ts';

describe('derivePathTemplate', () => {
  it.each([
    // numbers
    ['/orders/123', '/orders/{id}'],
    ['/orders/456', '/orders/{id}'],
    ['/users/42/orders/7', '/users/{id}/orders/{id}'],
    ['/items/0', '/items/{id}'],
    ['/accounts/98765432109876543210', '/accounts/{id}'],
    // UUIDs, any case
    ['/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301', '/orders/{uuid}'],
    ['/orders/3F2504E0-4F89-11D3-9A0C-0305E82C3301/items', '/orders/{uuid}/items'],
    // hex ids
    ['/objects/507f1f77bcf86cd799439011', '/objects/{hex}'],
    ['/commits/9fceb02d0ae598e95dc970b74767f19372d61af8', '/commits/{hex}'],
    ['/blobs/deadbeefdeadbeef', '/blobs/{hex}'],
    ['/commits/9fceb02d', '/commits/{hex}'],
    ['/commits/a1b2c3d4e5', '/commits/{hex}'],
    // opaque tokens
    ['/share/dGhpcyBpcyBhIHRva2VuMTIz', '/share/{token}'],
    ['/keys/AbCdEf1234567890GhIjKl', '/keys/{token}'],
    ['/verify/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc123XYZ', '/verify/{token}'],
    ['/ulid/01HZX3KJ4N5Q6R7S8T9V0W1X2Y', '/ulid/{token}'],
    ['/v1/customers/cus_NffrFeUfNV2Hib', '/v1/customers/{token}'],
    ['/v1/charges/ch_3MmlLrLkdIwHu7ix0snN0B15', '/v1/charges/{token}'],
    // emails, raw or percent-encoded
    ['/users/jane.doe@example.com', '/users/{email}'],
    ['/users/jane.doe%40example.com/settings', '/users/{email}/settings'],
    // dates
    ['/reports/2026-11-26', '/reports/{date}'],
    ['/reports/2026-11-26T06:20:27Z', '/reports/{date}'],
    ['/usage/2026-01-31/summary', '/usage/{date}/summary'],
    // id with an extension or a custom method suffix
    ['/invoices/123.pdf', '/invoices/{id}.pdf'],
    ['/v1/projects/42:cancel', '/v1/projects/{id}:cancel'],
    ['/v1/jobs/3f2504e0-4f89-11d3-9a0c-0305e82c3301:run', '/v1/jobs/{uuid}:run'],
  ])('%s → %s', (path, expected) => {
    expect(derivePathTemplate(path)).toBe(expected);
  });

  it.each([
    '/v1/users/me',
    '/api/v2/orders',
    '/v1beta1/projects',
    '/v2.1/things',
    '/health',
    '/.well-known/openid-configuration',
    '/openapi.json',
    '/v1/list-invoices-by-customer-v2',
    '/v1/payment_methods',
    '/v1/oauth2/token',
    '/i18n/en-US/messages',
    '/cafe',
    '/feed/deadbeef',
    '/facade/decade',
    '/v1/checkout/sessions',
    '/api/v1/users/me/avatar',
    '/reports/2026-13-01',
    '/s3',
    '/v1/{id}',
  ])('keeps %s', (path) => {
    expect(derivePathTemplate(path)).toBe(path);
  });

  it('strips query strings and fragments', () => {
    expect(derivePathTemplate('/orders/123?expand=items&page=2')).toBe('/orders/{id}');
    expect(derivePathTemplate('/docs#section-2')).toBe('/docs');
    expect(derivePathTemplate('/search?q=/a/b')).toBe('/search');
  });

  it('collapses repeated slashes and drops the trailing slash', () => {
    expect(derivePathTemplate('//orders///123//')).toBe('/orders/{id}');
    expect(derivePathTemplate('/v1/users/')).toBe('/v1/users');
  });

  it('keeps the root and makes empty input the root', () => {
    expect(derivePathTemplate('/')).toBe('/');
    expect(derivePathTemplate('')).toBe('/');
    expect(derivePathTemplate('//')).toBe('/');
    expect(derivePathTemplate('/?x=1')).toBe('/');
  });

  it('adds a missing leading slash', () => {
    expect(derivePathTemplate('orders/123')).toBe('/orders/{id}');
  });

  it('drops the scheme and authority of an absolute-form request target', () => {
    expect(derivePathTemplate('https://api.example.com/orders/123?x=1')).toBe('/orders/{id}');
    expect(derivePathTemplate('http://api.example.com')).toBe('/');
  });

  it('tolerates malformed percent-encoding', () => {
    expect(derivePathTemplate('/files/%E0%A4%A')).toBe('/files/%E0%A4%A');
  });

  it('is idempotent', () => {
    for (const path of ['/orders/123/items/3f2504e0-4f89-11d3-9a0c-0305e82c3301', '/users/a@b.io', '/x/2026-11-26', '/v1/customers/cus_NffrFeUfNV2Hib']) {
      const once = derivePathTemplate(path);
      expect(derivePathTemplate(once)).toBe(once);
    }
  });

  it('is case-sensitive for kept segments', () => {
    expect(derivePathTemplate('/V1/Users/Me')).toBe('/V1/Users/Me');
  });
});

describe('derivePathTemplate, asked again', () => {
  it('gives the same answers the second time (route words are remembered, identifiers are not)', () => {
    const paths = ['/v1/orders/123', '/v1/orders/abc', '/v1/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301', '/v1/orders/cus_NffrFeUfNV2Hib'];
    const first = paths.map(derivePathTemplate);
    expect(first).toEqual(['/v1/orders/{id}', '/v1/orders/abc', '/v1/orders/{uuid}', '/v1/orders/{token}']);
    expect(paths.map(derivePathTemplate)).toEqual(first);
  });
});

describe('normalizePath', () => {
  it.each([
    ['/a//b/', '/a/b'],
    ['', '/'],
    ['/a?b', '/a'],
    ['a/b', '/a/b'],
    ['https://h:8443/a/b/', '/a/b'],
    ['/', '/'],
    ['//', '/'],
    ['/a/b', '/a/b'],
    ['/a/b/', '/a/b'],
    ['/a#frag', '/a'],
    ['/a/b//c', '/a/b/c'],
  ])('%j → %s', (path, expected) => {
    expect(normalizePath(path)).toBe(expected);
  });
});
