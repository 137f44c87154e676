// The shipped Caddyfile (deploy/gateways/caddy) run by a real Caddy, against a stand-in for
// billing's /v1/authorize that answers as the contract says: an allowed request reaches the
// upstream with the consumer billing named, a 429 comes back to the client as billing gave it,
// and a caller cannot name itself. Only the environment variables the Caddyfile documents are set.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/infra.ts';
import { freePort, startRecordingServer, type RecordedAnswer, type RecordingServer } from '../harness/nginx.ts';

const CADDY = process.env.CADDY_BIN ?? '/usr/bin/caddy';
const TOKEN = 'gateway-token-0123456789';

let billing: RecordingServer;
let app: RecordingServer;
let caddy: ChildProcess;
let url: string;

beforeAll(async () => {
  billing = await startRecordingServer((request): RecordedAnswer => {
    if (request.headers['x-forwarded-uri'] === '/orders/spent') {
      return { status: 429, headers: { 'retry-after': '7', 'x-tollgate-decision': 'quota', 'content-type': 'application/json' }, body: '{"error":"quota_exceeded"}' };
    }
    return { status: 200, headers: { 'x-tollgate-consumer': 'c-caddy', 'x-tollgate-decision': 'allow' } };
  });
  app = await startRecordingServer();
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), 'tollgate-caddy-'));
  caddy = spawn(CADDY, ['run', '--config', join(REPO_ROOT, 'deploy/gateways/caddy/Caddyfile'), '--adapter', 'caddyfile'], {
    env: {
      ...process.env,
      HOME: home,
      XDG_DATA_HOME: home,
      XDG_CONFIG_HOME: home,
      TOLLGATE_LISTEN: `http://127.0.0.1:${port}`,
      TOLLGATE_BILLING: `127.0.0.1:${billing.port}`,
      TOLLGATE_GATEWAY_TOKEN: TOKEN,
      TOLLGATE_UPSTREAM: `127.0.0.1:${app.port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  caddy.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    if (await fetch(`${url}/healthz`).then(() => true, () => false)) break;
    if (caddy.exitCode !== null || i > 200) throw new Error(`caddy did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
});

afterAll(async () => {
  caddy?.kill('SIGTERM');
  await billing?.close();
  await app?.close();
});

describe('Caddy forward_auth with the shipped Caddyfile', () => {
  it('allowed: the upstream is reached with the consumer billing named; billing got the token and the original request', async () => {
    const response = await fetch(`${url}/orders/1?api_key=k-1`, { headers: { 'x-consumer-id': 'i-say-i-am-someone', 'x-api-key': 'k-2' } });
    expect(response.status).toBe(200);
    const asked = billing.requests.at(-1)!;
    // Caddy keeps the query on the rewritten URI.
    expect(asked.url).toBe('/v1/authorize?api_key=k-1');
    expect(asked.headers).toMatchObject({ 'x-tollgate-gateway-token': TOKEN, 'x-forwarded-uri': '/orders/1?api_key=k-1', 'x-forwarded-method': 'GET', 'x-api-key': 'k-2' });
    expect(asked.headers['x-consumer-id']).toBeUndefined();
    const seen = app.requests.find((r) => r.url.startsWith('/orders/1'));
    expect(seen?.headers['x-consumer-id']).toBe('c-caddy');
    expect(seen?.headers['x-tollgate-decision']).toBe('allow');
  });

  it('refused: billing\'s 429 with Retry-After and body reaches the client; the upstream never sees the request', async () => {
    const response = await fetch(`${url}/orders/spent`);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('x-tollgate-decision')).toBe('quota');
    expect(await response.json()).toEqual({ error: 'quota_exceeded' });
    expect(app.requests.filter((r) => r.url === '/orders/spent')).toEqual([]);
  });
});
