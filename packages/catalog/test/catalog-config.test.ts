// The one reader of API_CATALOG_FILE that the enricher and billing share.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogFileFromEnv, loadCatalog, resolveApiProduct } from '../src/index.ts';

const env = (values: Record<string, string>) => ({ string: (name: string) => values[name] });

describe('catalog configuration', () => {
  it('reads API_CATALOG_FILE and loads it; without one no request names a product', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    const file = join(dir, 'catalog.json');
    await writeFile(file, JSON.stringify({ rules: [{ match: { host: 'api.example.com', path: '/orders/**' }, product: 'orders' }] }));
    expect(catalogFileFromEnv(env({ API_CATALOG_FILE: file }))).toBe(file);
    expect(catalogFileFromEnv(env({}))).toBeUndefined();
    const request = { host: 'api.example.com', path: '/orders/1?x=1' };
    expect(resolveApiProduct(await loadCatalog(file), request)?.product).toBe('orders');
    expect(resolveApiProduct(await loadCatalog(undefined), request)).toBeUndefined();
  });
});
