import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileCatalog, loadCatalogFile, type CatalogEvent, type CatalogRule } from '../src/catalog.ts';

const event = (over: Partial<CatalogEvent> = {}): CatalogEvent => ({ method: 'GET', path: '/', ...over });

const rules: CatalogRule[] = [
  { match: { path: '/health' }, product: 'internal', billable: false },
  { match: { host: 'api.example.com', method: ['GET', 'HEAD'], path: '/v1/orders/{id}' }, product: 'orders', version: 'v1' },
  { match: { host: 'api.example.com', path: '/v1/orders/{id}/items/{item_id}' }, product: 'orders', version: 'v1' },
  { match: { host: '*.files.example.com', path: '/v1/files/**' }, product: 'files', version: 'v1' },
  { match: { path: '/v1/exports/*.csv' }, product: 'exports', pathTemplate: '/v1/exports/{name}.csv' },
  { match: { api: 'search-service', route: 'search-route' }, product: 'search', version: '2024-06' },
  { match: { api: 'search-service' }, product: 'search' },
  { match: { method: 'post', path: '/v2/payments/{id}:capture' }, product: 'payments', version: 'v2' },
];
const match = compileCatalog(rules);

describe('compileCatalog matching', () => {
  it('matches host, method and a {param} path, and takes the template from the pattern', () => {
    expect(match(event({ host: 'api.example.com', method: 'GET', path: '/v1/orders/123?x=1' }))).toEqual({
      api: 'orders',
      apiVersion: 'v1',
      pathTemplate: '/v1/orders/{id}',
      billable: true,
      matched: true,
    });
  });

  it('matches the method case-insensitively and ignores the host port and case', () => {
    expect(match(event({ host: 'API.Example.com:443', method: 'head', path: '/v1/orders/abc' })).api).toBe('orders');
  });

  it('does not match when any given field differs', () => {
    expect(match(event({ host: 'api.example.com', method: 'DELETE', path: '/v1/orders/123' })).matched).toBe(false);
    expect(match(event({ host: 'other.example.com', method: 'GET', path: '/v1/orders/123' })).matched).toBe(false);
    expect(match(event({ host: 'api.example.com', method: 'GET', path: '/v1/orders' })).matched).toBe(false);
    expect(match(event({ host: 'api.example.com', method: 'GET', path: '/v1/orders/1/2' })).matched).toBe(false);
  });

  it('takes the first matching rule', () => {
    expect(match(event({ api: 'search-service', route: 'search-route' })).apiVersion).toBe('2024-06');
    expect(match(event({ api: 'search-service', route: 'other' })).apiVersion).toBe('');
  });

  it('honours billable: false', () => {
    expect(match(event({ path: '/health/' }))).toMatchObject({ api: 'internal', billable: false, matched: true, pathTemplate: '/health' });
  });

  it('matches normalized paths: double slashes and trailing slash', () => {
    expect(match(event({ host: 'api.example.com', path: '//v1/orders//9/items/3/' })).pathTemplate).toBe('/v1/orders/{id}/items/{item_id}');
  });

  it("'*.suffix' matches subdomains at any depth but not the apex", () => {
    const e = (host: string) => event({ host, path: '/v1/files/a/b/c.txt' });
    expect(match(e('eu.files.example.com')).api).toBe('files');
    expect(match(e('a.b.files.example.com')).api).toBe('files');
    expect(match(e('files.example.com')).matched).toBe(false);
    expect(match(e('evilfiles.example.com')).matched).toBe(false);
  });

  it("'**' matches zero or more segments and the template keeps the glob", () => {
    const e = (path: string) => match(event({ host: 'eu.files.example.com', path }));
    expect(e('/v1/files')).toMatchObject({ matched: true, pathTemplate: '/v1/files/**' });
    expect(e('/v1/files/x/y/z')).toMatchObject({ matched: true, pathTemplate: '/v1/files/**' });
    expect(e('/v1/filesystem').matched).toBe(false);
  });

  it("'*' inside a segment and an explicit pathTemplate", () => {
    expect(match(event({ path: '/v1/exports/2026-11.csv' }))).toMatchObject({ api: 'exports', pathTemplate: '/v1/exports/{name}.csv' });
    expect(match(event({ path: '/v1/exports/2026-11.json' })).matched).toBe(false);
  });

  it('escapes regex characters in literal segments', () => {
    expect(match(event({ method: 'POST', path: '/v2/payments/pi_123:capture' })).api).toBe('payments');
    expect(match(event({ method: 'POST', path: '/v2/payments/pi_123Xcapture' })).matched).toBe(false);
    const dots = compileCatalog([{ match: { path: '/a.b' }, product: 'p' }]);
    expect(dots(event({ path: '/aXb' })).matched).toBe(false);
    expect(dots(event({ path: '/a.b' })).matched).toBe(true);
  });

  it('a rule without a path pattern uses the gateway template, else a derived one', () => {
    expect(match(event({ api: 'search-service', path: '/q/123', path_template: '/q/{query_id}' })).pathTemplate).toBe('/q/{query_id}');
    expect(match(event({ api: 'search-service', path: '/q/123' })).pathTemplate).toBe('/q/{id}');
  });

  it('an empty match object matches everything', () => {
    const all = compileCatalog([{ match: {}, product: 'everything' }]);
    expect(all(event({ path: '/anything/at/all' }))).toMatchObject({ api: 'everything', matched: true, pathTemplate: '/anything/at/all' });
  });

  it('root patterns', () => {
    const root = compileCatalog([{ match: { path: '/' }, product: 'root' }]);
    expect(root(event({ path: '/' })).matched).toBe(true);
    expect(root(event({ path: '/x' })).matched).toBe(false);
    const any = compileCatalog([{ match: { path: '/**' }, product: 'any' }]);
    expect(any(event({ path: '/' })).matched).toBe(true);
    expect(any(event({ path: '/x/y' })).matched).toBe(true);
  });
});

describe('compileCatalog without a match', () => {
  it('falls back to the gateway api name, then the host, then unknown', () => {
    expect(match(event({ api: 'billing-svc', host: 'x.example.com', path: '/v9/things/55' }))).toEqual({
      api: 'billing-svc',
      apiVersion: '',
      pathTemplate: '/v9/things/{id}',
      billable: true,
      matched: false,
    });
    expect(match(event({ host: 'X.Example.com:8443', path: '/v9' })).api).toBe('x.example.com');
    expect(match(event({ path: '/v9' })).api).toBe('unknown');
  });

  it("prefers the event's path_template over a derived one", () => {
    expect(match(event({ path: '/v9/things/55', path_template: '/v9/things/{thing}' })).pathTemplate).toBe('/v9/things/{thing}');
    expect(match(event({ path: '/v9/things/55', path_template: '' })).pathTemplate).toBe('/v9/things/{id}');
  });

  it('an empty catalog matches nothing', () => {
    expect(compileCatalog([])(event({ path: '/a/1' }))).toMatchObject({ matched: false, pathTemplate: '/a/{id}' });
  });
});

describe('compileCatalog validation', () => {
  it.each<[unknown, string]>([
    [{ product: 'p' }, 'rule 0: match must be an object'],
    [{ match: {}, product: '' }, 'rule 0: product must be a non-empty string'],
    [{ match: {} }, 'rule 0: product must be a non-empty string'],
    [{ match: {}, product: 'p', billable: 'no' }, 'rule 0: billable must be true or false'],
    [{ match: {}, product: 'p', version: 2 }, 'rule 0: version must be a string'],
    [{ match: {}, product: 'p', pathTemplate: 'orders' }, "rule 0: pathTemplate must be a string starting with '/'"],
    [{ match: {}, product: 'p', products: 'x' }, 'rule 0: products is not a rule field (allowed: match, product, version, pathTemplate, billable)'],
    [{ match: { methods: ['GET'] }, product: 'p' }, 'rule 0: match.methods is not a match field (allowed: host, api, route, method, path)'],
    [{ match: { method: [] }, product: 'p' }, 'rule 0: match.method must be'],
    [{ match: { method: 'GET POST' }, product: 'p' }, 'rule 0: match.method must be'],
    [{ match: { host: 'api.*.com' }, product: 'p' }, 'rule 0: match.host must be a host name'],
    [{ match: { host: 'api.example.com:443' }, product: 'p' }, 'rule 0: match.host must be a host name'],
    [{ match: { host: '*' }, product: 'p' }, 'rule 0: match.host'],
    [{ match: { api: '' }, product: 'p' }, 'rule 0: match.api must be a non-empty string'],
    [{ match: { route: 5 }, product: 'p' }, 'rule 0: match.route must be a non-empty string'],
    [{ match: { path: 'v1/orders' }, product: 'p' }, "rule 0: match.path must be a string starting with '/'"],
    [{ match: { path: '/v1/{id' }, product: 'p' }, "rule 0: match.path '{' must open a parameter like {id} in segment '{id' of '/v1/{id'"],
    [{ match: { path: '/v1/{}' }, product: 'p' }, "'{' must open a parameter"],
    [{ match: { path: '/v1/{a-b}' }, product: 'p' }, "'{' must open a parameter"],
    [{ match: { path: '/v1/id}' }, product: 'p' }, "unmatched '}'"],
    [{ match: { path: '/v1/a**' }, product: 'p' }, "'**' must be a whole segment"],
    ['not a rule', 'rule 0: rule must be an object'],
  ])('%j', (rule, message) => {
    expect(() => compileCatalog([rule])).toThrow(message);
  });

  it('names the index of each bad rule and reports them all', () => {
    const bad = [{ match: {}, product: 'ok' }, { match: {}, product: '' }, { match: { path: 'x' }, product: 'p' }];
    expect(() => compileCatalog(bad)).toThrow(/rule 1: product[\s\S]*rule 2: match\.path/);
  });

  it('rejects a non-array', () => {
    expect(() => compileCatalog({ rules: [] })).toThrow('catalog: rules must be an array');
  });
});

describe('loadCatalogFile', () => {
  const dir = mkdtemp(join(tmpdir(), 'catalog-'));
  afterAll(async () => rm(await dir, { recursive: true, force: true }));
  const write = async (name: string, text: string) => {
    const path = join(await dir, name);
    await writeFile(path, text);
    return path;
  };

  it('loads { rules: [...] }', async () => {
    const path = await write('ok.json', JSON.stringify({ rules: [{ match: { path: '/v1/orders/{id}' }, product: 'orders', version: 'v1' }] }));
    const m = await loadCatalogFile(path);
    expect(m(event({ path: '/v1/orders/7' }))).toMatchObject({ api: 'orders', apiVersion: 'v1', pathTemplate: '/v1/orders/{id}' });
  });

  it('names the file in errors', async () => {
    const bad = await write('bad.json', '{ "rules": [ ');
    await expect(loadCatalogFile(bad)).rejects.toThrow(`catalog ${bad}: not valid JSON`);
    const shape = await write('shape.json', '[]');
    await expect(loadCatalogFile(shape)).rejects.toThrow(`catalog ${shape}: expected an object with a "rules" array`);
    const rule = await write('rule.json', '{ "rules": [ { "match": {}, "product": 1 } ] }');
    await expect(loadCatalogFile(rule)).rejects.toThrow(`catalog ${rule}: invalid rules:\n  rule 0: product must be a non-empty string`);
    await expect(loadCatalogFile(join(await dir, 'missing.json'))).rejects.toThrow('ENOENT');
  });
});
