// The shipped NGINX files (deploy/gateways/nginx) in a real NGINX, against a stand-in for billing's
// /v1/authorize that answers as the contract says (README, "Enforce plans at your gateway"): what
// NGINX sends to the policy point, and what each answer becomes for the client, the upstream and
// the log. The test writes only the wrapper (ports, paths, the billing address); every directive
// that decides comes from the shipped files. The same files against the real billing:
// nginx-enforcement.test.ts.
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, Nginx, NGINX_GATEWAY_DIR, startRecordingServer, type RecordedAnswer, type RecordingServer, type SeenRequest } from '../harness/nginx.ts';

const TOKEN = 'gateway-token-0123456789';
const REFUSED = ['quota', 'rate', 'not_entitled', 'suspended', 'blocked'];

/** fetch cannot set Host; node:http can. */
function post(target: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The stand-in decides from the first path segment of the original request: /<decision>/...
 * Refusals in the nginx mode carry no body: NGINX never reads an auth subrequest's body, and an
 * unread body costs the kept-alive connection (see the keepalive test).
 */
const bodyUnlessNginx = (request: SeenRequest, decision: string): string => (request.headers['x-tollgate-gateway'] === 'nginx' ? '' : `{"error":"${decision}"}`);

function decide(request: SeenRequest): RecordedAnswer {
  const decision = /^\/v1\/authorize\/([^/?]+)/.exec(request.url)?.[1] ?? 'allow';
  const json = { 'content-type': 'application/json' };
  if (decision === 'allow') return { status: 200, headers: { 'x-tollgate-decision': 'allow', 'x-tollgate-consumer': 'c-allowed' } };
  if (REFUSED.includes(decision)) {
    const retry: Record<string, string> = decision === 'quota' || decision === 'rate' ? { 'retry-after': '7' } : {};
    return { status: 403, headers: { ...json, ...retry, 'x-tollgate-decision': decision, 'x-tollgate-consumer': 'c-refused' }, body: bodyUnlessNginx(request, decision) };
  }
  if (decision === 'unknown_consumer') return { status: 401, headers: { ...json, 'x-tollgate-decision': decision }, body: bodyUnlessNginx(request, decision) };
  if (decision === 'with_body') return { status: 403, headers: { ...json, 'x-tollgate-decision': 'suspended' }, body: '{"error":"suspended"}' };
  // A billing that does not speak the nginx mode answers quota with a plain 429.
  if (decision === 'plain429') return { status: 429, headers: { ...json, 'retry-after': '9' }, body: '{"error":"quota_exceeded"}' };
  return { status: 500, body: 'boom' };
}

function wrapper(o: { billingPort: number; appPort: number; servers: Array<{ port: number; failMode: 'open' | 'closed' }> }): string {
  return `
    include ${NGINX_GATEWAY_DIR}/tollgate-log.conf;
    access_log {{prefix}}/logs/tollgate.log tollgate;
    upstream tollgate_billing { server 127.0.0.1:${o.billingPort}; keepalive 8; }
    upstream app { server 127.0.0.1:${o.appPort}; }
    ${o.servers.map((s) => `
    server {
      listen 127.0.0.1:${s.port};
      set $tollgate_gateway_token "${TOKEN}";
      include ${NGINX_GATEWAY_DIR}/tollgate-server.conf;
      include ${NGINX_GATEWAY_DIR}/tollgate-fail-${s.failMode}.conf;
      location / {
        include ${NGINX_GATEWAY_DIR}/tollgate-enforce.conf;
        proxy_pass http://app;
      }
    }`).join('\n')}
  `;
}

let billing: RecordingServer;
let app: RecordingServer;
let nginx: Nginx;
let down: Nginx;
let url: string;
let openUrl: string;
let closedUrl: string;

beforeAll(async () => {
  billing = await startRecordingServer(decide);
  app = await startRecordingServer();
  const port = await freePort();
  nginx = await Nginx.start({ http: wrapper({ billingPort: billing.port, appPort: app.port, servers: [{ port, failMode: 'closed' }] }), ports: [port] });
  url = `http://127.0.0.1:${port}`;
  // Billing unreachable: nothing listens on its port.
  const [open, closed, nobody] = [await freePort(), await freePort(), await freePort()];
  down = await Nginx.start({ http: wrapper({ billingPort: nobody, appPort: app.port, servers: [{ port: open, failMode: 'open' }, { port: closed, failMode: 'closed' }] }), ports: [open, closed] });
  openUrl = `http://127.0.0.1:${open}`;
  closedUrl = `http://127.0.0.1:${closed}`;
});

afterAll(async () => {
  await nginx?.stop();
  await down?.stop();
  await billing?.close();
  await app?.close();
});

const appCalls = (path: string) => app.requests.filter((r) => r.url.startsWith(path));

describe('the shipped NGINX files in front of a policy point', () => {
  it('asks /v1/authorize with the original path and query, the gateway token and the nginx mode, without the body', async () => {
    const status = await post(
      `${url}/allow/orders/42?api_key=k-1&x=1`,
      { 'content-type': 'application/json', 'x-api-key': 'k-2', 'x-consumer-id': 'i-say-i-am-someone', host: 'api.example.test' },
      JSON.stringify({ big: 'x'.repeat(10_000) }),
    );
    expect(status).toBe(200);
    const asked = billing.requests.at(-1)!;
    expect(asked.url).toBe('/v1/authorize/allow/orders/42?api_key=k-1&x=1');
    expect(asked.bodyBytes).toBe(0);
    expect(asked.headers).toMatchObject({
      'x-tollgate-gateway': 'nginx',
      'x-tollgate-gateway-token': TOKEN,
      'x-original-uri': '/allow/orders/42?api_key=k-1&x=1',
      'x-forwarded-uri': '/allow/orders/42?api_key=k-1&x=1',
      'x-original-method': 'POST',
      'x-forwarded-method': 'POST',
      'x-forwarded-host': 'api.example.test',
      host: 'api.example.test',
      'x-api-key': 'k-2',
    });
    // A caller cannot name itself: its x-consumer-id never reaches the policy point.
    expect(asked.headers['x-consumer-id']).toBeUndefined();
    expect(asked.headers['content-length']).toBeUndefined();
  });

  it('allow: the upstream gets the request, its body, and x-consumer-id from x-tollgate-consumer (the caller\'s own replaced)', async () => {
    const response = await fetch(`${url}/allow/forwarded`, { method: 'POST', headers: { 'x-consumer-id': 'i-say-i-am-someone' }, body: 'hello' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
    const [seen] = appCalls('/allow/forwarded');
    expect(seen).toMatchObject({ method: 'POST', bodyBytes: 5 });
    expect(seen?.headers['x-consumer-id']).toBe('c-allowed');
  });

  it.each(['quota', 'rate'])('%s refusal: 429 with Retry-After, x-tollgate-decision and a JSON body; the upstream never sees it', async (decision) => {
    const response = await fetch(`${url}/${decision}/orders`);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('7');
    expect(response.headers.get('x-tollgate-decision')).toBe(decision);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ error: 'too_many_requests', decision });
    expect(appCalls(`/${decision}/`)).toEqual([]);
  });

  it.each(['not_entitled', 'suspended', 'blocked'])('%s refusal: 403 with the decision and a JSON body', async (decision) => {
    const response = await fetch(`${url}/${decision}/orders`);
    expect(response.status).toBe(403);
    expect(response.headers.get('x-tollgate-decision')).toBe(decision);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(await response.json()).toEqual({ error: 'forbidden', decision });
    expect(appCalls(`/${decision}/`)).toEqual([]);
  });

  it('unknown or missing key: 401 passes through with the decision', async () => {
    const response = await fetch(`${url}/unknown_consumer/orders`);
    expect(response.status).toBe(401);
    expect(response.headers.get('x-tollgate-decision')).toBe('unknown_consumer');
    expect(await response.json()).toEqual({ error: 'unauthorized', decision: 'unknown_consumer' });
    expect(appCalls('/unknown_consumer/')).toEqual([]);
  });

  it('a plain 429 from a billing without the nginx mode stays a 429 with its Retry-After (never an allow)', async () => {
    const response = await fetch(`${url}/plain429/orders`);
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('9');
    expect(await response.json()).toEqual({ error: 'too_many_requests', decision: 'quota' });
    expect(appCalls('/plain429/')).toEqual([]);
  });

  it('billing answering 5xx: fail closed refuses with 503', async () => {
    const response = await fetch(`${url}/error/orders`);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(await response.json()).toMatchObject({ error: 'policy_unavailable' });
    expect(appCalls('/error/')).toEqual([]);
  });

  it('billing unreachable: fail-closed answers 503 + Retry-After, fail-open lets the request through undecided', async () => {
    const closed = await fetch(`${closedUrl}/allow/closed`);
    expect(closed.status).toBe(503);
    expect(closed.headers.get('retry-after')).toBe('5');
    expect(await closed.json()).toMatchObject({ error: 'policy_unavailable' });
    expect(appCalls('/allow/closed')).toEqual([]);

    const open = await fetch(`${openUrl}/allow/open`);
    expect(open.status).toBe(200);
    expect(await open.text()).toBe('ok');
    const [seen] = appCalls('/allow/open');
    expect(seen?.headers['x-consumer-id']).toBeUndefined();
    expect(down.errorLog()).toMatch(/connect\(\) failed .*subrequest: "\/_tollgate_authorize"/);
  });

  it('reuses its connections to billing (keepalive upstream) for allows and body-less refusals', async () => {
    const before = billing.requests.length;
    for (let i = 0; i < 20; i += 1) {
      expect((await fetch(`${url}/allow/keepalive/${i}`)).status).toBe(200);
      expect((await fetch(`${url}/rate/keepalive/${i}`)).status).toBe(429);
    }
    const ports = new Set(billing.requests.slice(before).map((r) => r.remotePort));
    expect(ports.size).toBe(1);
  });

  it('an answer with a body costs the connection: NGINX does not read an auth subrequest\'s body', async () => {
    const before = billing.requests.length;
    for (let i = 0; i < 5; i += 1) expect((await fetch(`${url}/with_body/${i}`)).status).toBe(403);
    const ports = new Set(billing.requests.slice(before).map((r) => r.remotePort));
    expect(ports.size).toBe(5);
  });

  it('logs the tap\'s nginx format with the consumer and the decision', async () => {
    await fetch(`${url}/allow/logged`);
    await fetch(`${url}/quota/logged`);
    await fetch(`${url}/unknown_consumer/logged`);
    const lines = readFileSync(`${nginx.prefix}/logs/tollgate.log`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    const logged = lines.filter((l) => l.uri?.endsWith('/logged')).map((l) => [l.uri, l.status, l.tollgate_consumer, l.tollgate_decision]);
    expect(logged).toEqual([
      ['/allow/logged', '200', 'c-allowed', 'allow'],
      ['/quota/logged', '429', 'c-refused', 'quota'],
      ['/unknown_consumer/logged', '401', '', 'unknown_consumer'],
    ]);
    expect(lines.every((l) => /^[0-9a-f]{32}$/.test(l.request_id ?? ''))).toBe(true);
  });
});
