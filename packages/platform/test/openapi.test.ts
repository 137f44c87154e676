// An app made by createHttpApp with `openapi` serves its description at /openapi.json; a schema
// failure answers the one error body; the test helper holds answers to the description.
import { describe, expect, it } from 'vitest';
import { createHttpApp, errorResponses, NotFound } from '../src/index.ts';
import { responseChecker, specCheckedInject } from '../src/testing/openapi-responses.ts';

function thingsApp() {
  const app = createHttpApp({ openapi: { title: 'things', description: 'test' } });
  // Routes go in plugins, loaded after @fastify/swagger, which sees them as they are added.
  void app.register(async (scope) => {
    const thing = { type: 'object', required: ['id', 'n'], additionalProperties: false, properties: { id: { type: 'string' }, n: { type: 'integer' } } };
    scope.get<{ Params: { id: string }; Querystring: { n?: number } }>(
      '/v1/things/:id',
      { schema: { params: { type: 'object', properties: { id: { type: 'string', maxLength: 3 } } }, querystring: { type: 'object', additionalProperties: false, properties: { n: { type: 'integer' } } }, response: { 200: thing, ...errorResponses(400, 404) } } },
      async (request) => {
        if (request.params.id === 'no') throw new NotFound('no thing "no"');
        return { id: request.params.id, n: request.query.n ?? 1, secret: 'dropped by the serializer' };
      },
    );
    scope.get('/v1/liar', { schema: { response: { 200: thing } } }, async (_request, reply) => (reply.code as (status: number) => typeof reply)(201).send({ id: 'x', n: 1 }));
  });
  return app;
}

describe('OpenAPI description', () => {
  it('serves an OpenAPI 3.1 document of the routes at /openapi.json', async () => {
    const app = thingsApp();
    const answer = await app.inject('/openapi.json');
    expect(answer.statusCode).toBe(200);
    const document = answer.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(['/v1/things/{id}', '/v1/liar']);
  });

  it('answers a schema failure with the one error body, 400', async () => {
    const app = thingsApp();
    const answer = await app.inject('/v1/things/abc?n=x');
    expect([answer.statusCode, answer.json()]).toEqual([400, { error: 'bad_request', message: 'parameter n: must be integer (got "x")', param: 'n' }]);
  });

  it('the test helper passes described answers and names what does not match', async () => {
    const app = thingsApp();
    const inject = specCheckedInject(app);
    expect((await inject({ method: 'GET', url: '/v1/things/abc?n=2' })).json()).toEqual({ id: 'abc', n: 2 });
    expect((await inject({ method: 'GET', url: '/v1/things/no' })).statusCode).toBe(404);
    await expect(inject({ method: 'GET', url: '/v1/liar' })).rejects.toThrow('GET /v1/liar: status 201 is not described');

    const check = responseChecker((await app.inject('/openapi.json')).json());
    const json = { 'content-type': 'application/json; charset=utf-8' };
    expect(() => check('GET', '/v1/things/abc', { statusCode: 200, headers: json, body: '{"id":"abc"}' })).toThrow("must have required property 'n'");
    expect(() => check('GET', '/v1/things/abc', { statusCode: 200, headers: json, body: '{"id":"abc","n":1,"extra":true}' })).toThrow('must NOT have additional properties');
    expect(() => check('GET', '/v1/nowhere', { statusCode: 200, headers: json, body: '{}' })).toThrow('no path of the OpenAPI document matches');
  });
});
