// The tap bounds the bytes it works on at once: beyond the budget a request is answered 503 with
// Retry-After (never queued without bound, never a crash), and served again once room frees up.
import { request as httpRequest } from 'node:http';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { ndjsonEvents, startTestTap, TOKEN } from './helpers.ts';

const { tap } = await startTestTap({ bodyLimitBytes: 64 * 1024, maxInflightBytes: 64 * 1024 });
afterAll(() => tap.close());

function post(body: string, hold = false): { done: Promise<{ status: number; body: string; retryAfter?: string }>; finish: () => void } {
  const url = new URL('/v1/ingest/ndjson', tap.url);
  const req = httpRequest(url, {
    method: 'POST',
    agent: false,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body) },
  });
  const done = new Promise<{ status: number; body: string; retryAfter?: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ...(res.headers['retry-after'] ? { retryAfter: String(res.headers['retry-after']) } : {}) }));
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(hold ? body.slice(0, half) : body);
  let finished = !hold;
  const finish = () => {
    if (!finished) req.end(body.slice(half));
    finished = true;
  };
  if (!hold) req.end();
  return { done, finish };
}

describe('admission by bytes in flight', () => {
  it('answers 503 with Retry-After while the budget is taken, and 202 once it is free', async () => {
    const big = ndjsonEvents(0, 250, 'adm').body; // ≈ 45 KiB of the 64 KiB budget
    const held = post(big, true);
    onTestFinished(() => held.finish());
    await new Promise((r) => setTimeout(r, 100));

    expect(Buffer.byteLength(big)).toBeLessThan(64 * 1024);
    const refused = await post(ndjsonEvents(1000, 150, 'adm').body).done; // ≈ 27 KiB more
    expect(refused.status).toBe(503);
    expect(refused.retryAfter).toBe('1');
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'busy' });

    held.finish();
    expect((await held.done).status).toBe(202);
    const after = await post(ndjsonEvents(100, 40, 'adm').body).done;
    expect(after.status).toBe(202);
    expect(JSON.parse(after.body)).toEqual({ accepted: 40, rejected: 0, errors: [] });
  });
});
