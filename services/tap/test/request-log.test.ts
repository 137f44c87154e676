// The tap's request log holds no credential: a query string's values are replaced (gateways may
// put an API key or token there) and no header is logged, Authorization included.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { redactQuery } from '@tollgate/platform';
import { HARNESS_TOKEN, recordingTapApp } from './app-harness.ts';

describe("the tap's request log", () => {
  it('logs requests without query values or headers, on ingest and on any other route', async () => {
    let written = '';
    const log = pino({ level: 'info' }, new Writable({ write: (chunk, _encoding, done) => ((written += String(chunk)), done()) }));
    const harness = recordingTapApp({ logger: log });
    const canonical = JSON.stringify({ schema: 'api-request/v1', event_id: 'e', timestamp: '2026-01-01T00:00:00.000Z', gateway: { kind: 'generic' }, method: 'GET', path: '/a', status: 200 });
    await harness.app.inject({ method: 'POST', url: '/v1/ingest/ndjson?api_key=SECRET-1&debug', headers: { authorization: `Bearer ${HARNESS_TOKEN}`, 'content-type': 'application/x-ndjson', 'x-api-key': 'SECRET-2' }, payload: canonical });
    await harness.app.inject({ method: 'POST', url: '/v1/ingest/ndjson?token=SECRET-3', headers: { authorization: 'Bearer SECRET-4-wrong-token', 'content-type': 'application/x-ndjson' }, payload: canonical });
    await harness.app.inject({ method: 'GET', url: '/elsewhere?access_token=SECRET-5' });
    await harness.app.close();

    expect(written).not.toMatch(/SECRET|harness-token/);
    const urls = written.trim().split('\n').map((line) => (JSON.parse(line) as { req?: { url: string } }).req?.url).filter(Boolean);
    expect(urls).toEqual(['/v1/ingest/ndjson?api_key=[redacted]&[redacted]', '/v1/ingest/ndjson?token=[redacted]', '/elsewhere?access_token=[redacted]']);
  });

  it('keeps a URL without a query as it is', () => {
    expect(redactQuery('/v1/ingest/kong')).toBe('/v1/ingest/kong');
    expect(redactQuery('/v1/ingest/kong?')).toBe('/v1/ingest/kong?');
  });
});
