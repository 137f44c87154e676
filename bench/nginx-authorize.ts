// What deciding every request costs an NGINX: requests/s through the shipped enforcement files
// (deploy/gateways/nginx: auth_request to billing's /v1/authorize over keep-alive connections)
// against the same NGINX, same upstream, same log, without them. One NGINX serves both side by
// side; the upstream is a server block of that NGINX answering "ok", so the difference is the
// decision alone (the subrequest, billing's answer, the variables). Billing runs as its own
// process (tsx, embedded ClickHouse), load from autocannon in this process. The two are measured
// in alternating slices (without, with, without, ...) so a machine shared with other work weighs
// on both alike. Goal: ratio ≥ 0.5.
//   npx tsx bench/nginx-authorize.ts [seconds per side] [connections] [slices]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freePort, Nginx, NGINX_GATEWAY_DIR } from '../test/harness/nginx.ts';
import { cpuSeconds, startService, stopService, table } from './lib.ts';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 32);
const slices = Number(process.argv[4] ?? 5);
const ADMIN = 'bench-admin-token-0001';
const GATEWAY = 'bench-gateway-token-01';
const billingPort = await freePort();
const billingUrl = `http://127.0.0.1:${billingPort}`;

const billing = await startService(
  'services/billing/src/main.ts',
  {
    CLICKHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-nginx-billing-')),
    CLICKHOUSE_DATABASE: `bench_nginx_${Date.now()}`,
    BILLING_PORT: String(billingPort),
    BILLING_ADMIN_TOKENS: ADMIN,
    BILLING_GATEWAY_TOKENS: GATEWAY,
    BILLING_SCHEDULE: 'off',
    QUOTA_REFRESH_MS: '60000',
  },
  `${billingUrl}/healthz`,
);
// A consumer on a plan without a quota (plans.example.yaml's business), named by NGINX itself.
const put = await fetch(`${billingUrl}/v1/admin/consumers/bench`, {
  method: 'PUT',
  headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
  body: JSON.stringify({ plan_id: 'business' }),
});
if (put.status >= 300) throw new Error(`could not add the bench consumer: ${put.status} ${await put.text()}`);

const [app, enforced, plain] = [await freePort(), await freePort(), await freePort()];
const proxyToApp = `
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_pass http://app;`;
const nginx = await Nginx.start({
  ports: [app, enforced, plain],
  http: `
    include ${NGINX_GATEWAY_DIR}/tollgate-log.conf;
    access_log {{prefix}}/logs/tollgate.log tollgate buffer=64k;
    upstream tollgate_billing { server 127.0.0.1:${billingPort}; keepalive 32; }
    upstream app { server 127.0.0.1:${app}; keepalive 32; }
    server {
      listen 127.0.0.1:${app};
      access_log off;
      location / { return 200 "ok"; }
    }
    server {
      listen 127.0.0.1:${enforced};
      set $tollgate_gateway_token "${GATEWAY}";
      set $tollgate_authenticated_consumer "bench";
      include ${NGINX_GATEWAY_DIR}/tollgate-server.conf;
      include ${NGINX_GATEWAY_DIR}/tollgate-fail-closed.conf;
      location / {
        include ${NGINX_GATEWAY_DIR}/tollgate-enforce.conf;${proxyToApp}
      }
    }
    server {
      listen 127.0.0.1:${plain};
      location / {${proxyToApp}
      }
    }`,
});

async function load(port: number, duration: number) {
  return autocannon({ url: `http://127.0.0.1:${port}/v1/orders/42`, connections, duration });
}

try {
  const check = await fetch(`http://127.0.0.1:${enforced}/v1/orders/1`);
  if (check.status !== 200) throw new Error(`the enforced server answers ${check.status}: ${await check.text()}\n${nginx.errorLog()}`);
  await load(plain, 2); // warm-up of both paths, billing's JIT included
  await load(enforced, 2);

  const sides = { without: [] as autocannon.Result[], with: [] as autocannon.Result[] };
  let billingCpu = 0;
  for (let i = 0; i < slices; i += 1) {
    sides.without.push(await load(plain, seconds / slices));
    const before = cpuSeconds(billing.pid!);
    sides.with.push(await load(enforced, seconds / slices));
    billingCpu += cpuSeconds(billing.pid!) - before;
  }
  const row = (name: string, runs: autocannon.Result[]) => ({
    nginx: name,
    'req/s': Math.round(runs.reduce((sum, r) => sum + r.requests.total, 0) / seconds),
    'slices req/s': runs.map((r) => Math.round(r.requests.average)).join(' '),
    'p99 ms (worst slice)': Math.max(...runs.map((r) => r.latency.p99)),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  });
  const rows = [row('without auth_request', sides.without), row('with auth_request to Tollgate', sides.with)];
  console.log(`\n${connections} connections, ${seconds} s per side in ${slices} alternating slices, NGINX 1 worker, billing one process (tsx)\n`);
  console.log(table(rows));
  const decisions = sides.with.reduce((sum, r) => sum + r.requests.total, 0);
  console.log(`\nratio with/without: ${(Number(rows[1]!['req/s']) / Number(rows[0]!['req/s'])).toFixed(2)} (goal ≥ 0.5)`);
  console.log(`billing during the runs with auth_request: ${(billingCpu / seconds).toFixed(2)} cores, ${Math.round((billingCpu * 1e6) / decisions)} µs of CPU per decision`);
} finally {
  await nginx.stop();
  await stopService(billing);
}
