import { describe, expect, it } from 'vitest';
import { resolveApiProduct } from '../src/api-product.ts';
import { compileCatalog } from '../src/catalog.ts';

const catalog = compileCatalog([
  { match: { host: 'api.example.com', path: '/v1/orders/{id}' }, product: 'orders', version: 'v1' },
  { match: { host: 'api.example.com', method: 'POST', path: '/v1/payments' }, product: 'payments' },
  { match: { api: 'search-service', route: 'search-route' }, product: 'search', version: '2024-06' },
  { match: { path: '/health' }, product: 'internal', billable: false },
]);

describe('resolveApiProduct', () => {
  it('resolves a product from a host and a path, with the template of the rule', () => {
    expect(resolveApiProduct(catalog, { host: 'API.example.com:443', path: '/v1/orders/42?expand=items' })).toEqual({
      product: 'orders',
      version: 'v1',
      pathTemplate: '/v1/orders/{id}',
      billable: true,
    });
    expect(resolveApiProduct(catalog, { host: 'status.example.com', path: '/health' })).toEqual({ product: 'internal', version: '', pathTemplate: '/health', billable: false });
  });

  it('uses the gateway names when given, and the method only for rules that name one', () => {
    expect(resolveApiProduct(catalog, { host: 'search.internal', path: '/q', api: 'search-service', route: 'search-route' })?.product).toBe('search');
    expect(resolveApiProduct(catalog, { host: 'search.internal', path: '/q', api: 'search-service' })).toBeUndefined();
    expect(resolveApiProduct(catalog, { host: 'api.example.com', path: '/v1/payments', method: 'post' })?.product).toBe('payments');
    expect(resolveApiProduct(catalog, { host: 'api.example.com', path: '/v1/payments' })).toBeUndefined();
  });

  it('is undefined when no rule claims the request, not the name the matcher falls back to', () => {
    expect(catalog({ host: 'other.example.com', method: 'GET', path: '/v1/orders/42' })).toMatchObject({ api: 'other.example.com', matched: false });
    expect(resolveApiProduct(catalog, { host: 'other.example.com', path: '/v1/orders/42' })).toBeUndefined();
    expect(resolveApiProduct(compileCatalog([]), { host: 'api.example.com', path: '/' })).toBeUndefined();
  });
});
