// The HTTP pieces every service builds on: the request log keeps no credential, every error has
// one shape, route schemas answer 400 naming the field, and bearer auth guards only its scope.
import { describe, expect, it } from 'vitest';
import { capturedLog } from '../../../test/harness/log.ts';
import { ConfigError, EnvReader, readTokens } from '../src/config.ts';
import { createHttpApp, NotFound, redactQuery, requireBearer } from '../src/index.ts';

describe('request log', () => {
  it('keeps query values and credential headers out of the log, and the path in', async () => {
    const { log, text } = capturedLog();
    const app = createHttpApp({ log });
    app.all('/v1/authorize/*', async (request) => {
      // A handler that logs the headers, as a debugging session might.
      request.log.info({ headers: request.headers, req: { headers: request.headers } }, 'headers seen');
      return { ok: true };
    });
    const answer = await app.inject({
      method: 'GET',
      url: '/v1/authorize/orders/1?api_key=sk_live_secret&sk_live_bare',
      headers: { authorization: 'Bearer sk_live_bearer', 'x-api-key': 'sk_live_xapikey', cookie: 'session=sk_live_cookie', 'x-tollgate-gateway-token': 'sk_live_gateway', 'stripe-signature': 'sk_live_signature' },
    });
    expect(answer.statusCode).toBe(200);
    await app.close();
    const logged = text();
    expect(logged).toContain('/v1/authorize/orders/1?api_key=[redacted]');
    expect(logged).toContain('headers seen');
    expect(logged).not.toMatch(/sk_live/);
  });

  it('redacts every query value and bare pairs', () => {
    expect(redactQuery('/a/b')).toBe('/a/b');
    expect(redactQuery('/a?x=1&token=abc&&secretonly')).toBe('/a?x=[redacted]&token=[redacted]&[redacted]');
  });
});

describe('errors and validation', () => {
  const app = createHttpApp({ formats: { even: { validate: (v) => Number(v) % 2 === 0, message: 'must be an even number' } } });
  app.get('/things/:id', async (request) => {
    throw new NotFound(`no thing "${(request.params as { id: string }).id}"`);
  });
  app.get('/boom', async () => {
    throw new Error('database password is hunter2');
  });
  app.get('/search', { schema: { querystring: { type: 'object', additionalProperties: false, properties: { n: { type: 'string', format: 'even' }, limit: { type: 'integer', minimum: 1, maximum: 10, default: 5 } } } } }, async (request) => request.query);
  void app.register(async (admin) => {
    admin.addHook('onRequest', requireBearer(['admin-token-0123456789']));
    admin.get('/admin', async () => ({ admin: true }));
  });
  app.get('/open', async () => ({ open: true }));

  it('answers thrown errors as { error, message }', async () => {
    const missing = await app.inject('/things/7');
    expect([missing.statusCode, missing.json()]).toEqual([404, { error: 'not_found', message: 'no thing "7"' }]);
    const boom = await app.inject('/boom');
    expect([boom.statusCode, boom.json()]).toEqual([500, { error: 'internal_error', message: 'internal error' }]);
    const nowhere = await app.inject('/nowhere');
    expect([nowhere.statusCode, nowhere.json()]).toEqual([404, { error: 'not_found', message: 'no route GET /nowhere' }]);
  });

  it('validates by the route schema and names the parameter', async () => {
    expect((await app.inject('/search?n=4')).json()).toEqual({ n: '4', limit: 5 });
    const cases: [string, string, RegExp][] = [
      ['/search?n=3', 'n', /parameter n: must be an even number \(got "3"\)/],
      ['/search?limit=11', 'limit', /parameter limit: must be an integer between 1 and 10 \(got 11\)/],
      ['/search?limit=1&limit=2', 'limit', /parameter limit: is given more than once/],
      ['/search?limt=1', 'limt', /parameter limt: is not a parameter of this query \(expected one of: n, limit\)/],
    ];
    for (const [url, param, message] of cases) {
      const answer = await app.inject(url);
      expect(answer.statusCode, url).toBe(400);
      expect(answer.json(), url).toMatchObject({ error: 'bad_request', param });
      expect(answer.json().message, url).toMatch(message);
    }
  });

  it('guards only the routes in the scope of requireBearer', async () => {
    const refused = await app.inject('/admin');
    expect([refused.statusCode, refused.json(), refused.headers['www-authenticate']]).toEqual([401, { error: 'unauthorized', message: 'a valid bearer token is required' }, 'Bearer']);
    expect((await app.inject({ url: '/admin', headers: { authorization: 'Bearer admin-token-0123456789' } })).statusCode).toBe(200);
    expect((await app.inject('/open')).statusCode).toBe(200);
  });
});

describe('readTokens', () => {
  it('refuses tokens shorter than 16 characters, naming the variable', () => {
    const reader = new EnvReader({ SOME_TOKENS: 'long-enough-token-1, short' });
    expect(readTokens(reader, 'SOME_TOKENS')).toEqual(['long-enough-token-1', 'short']);
    expect(() => reader.done()).toThrow(ConfigError);
    expect(() => reader.done()).toThrow(/SOME_TOKENS entry 2: tokens must be at least 16 characters/);
  });
});
