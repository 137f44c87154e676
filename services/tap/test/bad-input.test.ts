// Nothing a client sends may crash the tap or earn a 5xx: each malformed request gets a 4xx that
// says what was wrong, and the tap keeps serving.
import { request as httpRequest } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { ndjsonEvents, startTestTap, TOKEN } from './helpers.ts';

const { tap } = await startTestTap({ bodyLimitBytes: 64 * 1024 });
afterAll(() => tap.close());

interface Case {
  name: string;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  status: number;
  message: RegExp;
}

const auth = { authorization: `Bearer ${TOKEN}` };
const json = { ...auth, 'content-type': 'application/json' };
const ndjson = { ...auth, 'content-type': 'application/x-ndjson' };
const valid = ndjsonEvents(0, 1).body;

const cases: Case[] = [
  { name: 'no token', headers: { 'content-type': 'application/json' }, body: '{}', status: 401, message: /bearer token/ },
  { name: 'wrong token', headers: { ...json, authorization: 'Bearer nope' }, body: '{}', status: 401, message: /bearer token/ },
  { name: 'basic auth instead of bearer', headers: { ...json, authorization: 'Basic dXNlcjpwYXNz' }, body: '{}', status: 401, message: /bearer token/ },
  { name: 'token with a prefix of a valid one', headers: { ...json, authorization: `Bearer ${TOKEN.slice(0, 5)}` }, body: '{}', status: 401, message: /bearer token/ },
  { name: 'unknown format', path: '/v1/ingest/haproxy', headers: json, body: '{}', status: 404, message: /format must be one of kong/ },
  { name: 'GET on an ingest route', path: '/v1/ingest/kong', method: 'GET', headers: auth, status: 404, message: /no route GET/ },
  { name: 'no content type', path: '/v1/ingest/kong', headers: auth, body: '{}', status: 415, message: /takes Content-Type application\/json/ },
  { name: 'wrong content type for kong', path: '/v1/ingest/kong', headers: { ...auth, 'content-type': 'text/html' }, body: '<html>', status: 415, message: /not text\/html/ },
  { name: 'form body', path: '/v1/ingest/ndjson', headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1', status: 415, message: /ndjson takes/ },
  { name: 'empty body', path: '/v1/ingest/kong', headers: json, body: '', status: 400, message: /empty/ },
  { name: 'whitespace body', path: '/v1/ingest/ndjson', headers: ndjson, body: '  \n\n ', status: 400, message: /empty/ },
  { name: 'malformed JSON', path: '/v1/ingest/kong', headers: json, body: '{"request": ', status: 400, message: /JSON|json/ },
  { name: 'JSON scalar for kong', path: '/v1/ingest/kong', headers: json, body: '42', status: 400, message: /object|array/ },
  { name: 'JSON string for apisix', path: '/v1/ingest/apisix', headers: json, body: '"hello"', status: 400, message: /object|array/ },
  { name: 'truncated JSON array', path: '/v1/ingest/apisix', headers: json, body: '[{"request": {}}', status: 400, message: /JSON|json/ },
  { name: 'cloudevents batch that is not an array', path: '/v1/ingest/cloudevents', headers: { ...auth, 'content-type': 'application/cloudevents-batch+json' }, body: '{"specversion":"1.0"}', status: 400, message: /array/ },
  { name: 'body over the limit', path: '/v1/ingest/ndjson', headers: ndjson, body: valid.repeat(Math.ceil(70_000 / valid.length)), status: 413, message: /too large|limit/i },
  { name: 'binary garbage as JSON', path: '/v1/ingest/kong', headers: json, body: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x7b]), status: 400, message: /JSON|json/ },
  { name: 'JSON with prototype pollution keys', path: '/v1/ingest/kong', headers: json, body: '{"__proto__": {"admin": true}}', status: 202, message: /rejected/ },
  { name: 'unknown route', path: '/v1/nothing', headers: json, body: '{}', status: 404, message: /no route/ },
  { name: 'headers larger than the server takes', path: '/v1/ingest/kong', headers: { ...json, 'x-junk': 'a'.repeat(20_000) }, body: '{}', status: 431, message: /Header Fields Too Large/ },
  { name: 'bearer scheme with no token', headers: { ...json, authorization: 'Bearer ' }, body: '{}', status: 401, message: /bearer token/ },
  { name: 'PUT on an ingest route', path: '/v1/ingest/ndjson', method: 'PUT', headers: ndjson, body: valid, status: 404, message: /no route PUT/ },
  { name: 'multipart upload', path: '/v1/ingest/envoy', headers: { ...auth, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--', status: 415, message: /envoy takes/ },
  { name: 'content-type with charset is fine, bad records are per-index', path: '/v1/ingest/ndjson', headers: { ...auth, 'content-type': 'application/x-ndjson; charset=utf-8' }, body: `${valid}not json\n{"schema":"api-request/v1"}\n`, status: 202, message: /"accepted":1,"rejected":2/ },
];

function send(c: Case): Promise<{ status: number; body: string }> {
  const url = new URL(c.path ?? '/v1/ingest/kong', tap.url);
  return new Promise((resolve, reject) => {
    // A fresh connection each time: a 431 closes the socket it came on.
    const req = httpRequest(url, { method: c.method ?? 'POST', headers: c.headers ?? {}, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    if (c.body !== undefined) req.end(c.body);
    else req.end();
  });
}

describe('bad input', () => {
  it(`has at least 20 malformed requests in the table (${cases.length})`, () => {
    expect(cases.filter((c) => c.status >= 400).length).toBeGreaterThanOrEqual(20);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const answer = await send(c);
    expect(answer.status).toBe(c.status);
    expect(answer.body).toMatch(c.message);
    expect(answer.status).toBeLessThan(500);
  });

  it('still serves valid traffic after all of that', async () => {
    const answer = await send({ name: 'valid', path: '/v1/ingest/ndjson', headers: ndjson, body: valid, status: 202, message: /./ });
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.body)).toEqual({ accepted: 1, rejected: 0, errors: [] });
    const health = await fetch(new URL('/healthz', tap.url));
    expect(health.status).toBe(200);
  });
});
