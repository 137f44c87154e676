// Gateway decisions (/v1/authorize): 10 000 consumers identified by API key, each on a plan with a
// hard quota and 3 rate-limit policies, API products named by a catalog file.
//  1. in process: PolicyPoint.decide() alone, decisions per second and µs each;
//  2. over HTTP: billing in its own process at 20 000 decisions/s (autocannon, keep-alive), p99 in
//     the server from the decision-time histogram, and the process's RSS.
// The load generator shares the machine's two cores with the server: the client-side numbers
// include its queueing, the server-side p99 does not.
//   npx tsx bench/decisions.ts [rate] [seconds]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { billingConfigFromEnv } from '@tollgate/billing/config';
import { compilePlanPolicies, PolicyPoint, QuotaBook, RateLimiter } from '@tollgate/billing';
import { loadCatalog } from '@tollgate/catalog';
import { createClickHouseClient, credentialHmac } from '@tollgate/platform';
import { loadPlansFile } from '@tollgate/pricing';
import { emptyConsumer, writeApiKeys, writeConsumers } from '@tollgate/registry';
import { migrate } from '@tollgate/schemas';
import { peakRssMb, startService, stopService, table } from './lib.ts';

const rate = Number(process.argv[2] ?? 20_000);
const seconds = Number(process.argv[3] ?? 20);
const consumers = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'bench-decisions-'));
const plansFile = join(dir, 'plans.yaml');
const catalogFile = join(dir, 'catalog.json');
writeFileSync(
  plansFile,
  `version: 1
plans:
  metered:
    name: Metered
    currency: EUR
    quota: { limit: 10000000, kind: hard }
    rate_limits:
      - { limit: 50, per: second }
      - { limit: 1000, per: minute }
      - { limit: 500, per: minute, apis: [search] }
    apis: [orders, search, users]
    meters: []
`,
);
writeFileSync(
  catalogFile,
  JSON.stringify({ rules: ['orders', 'search', 'users', 'payments'].map((p) => ({ match: { host: 'api.example.com', path: `/${p}/**` }, product: p })) }),
);
const HMAC_KEY = 'bench-decisions-hmac-key-0123456789';
const port = 18731;
const env = {
  ...process.env,
  CLICKHOUSE_DATA_DIR: join(dir, 'ch'),
  CLICKHOUSE_DATABASE: `bench_decisions_${Date.now()}`,
  BILLING_ADMIN_TOKENS: 'bench-admin-token-0001',
  BILLING_GATEWAY_TOKENS: 'bench-gateway-token-01',
  BILLING_PORT: String(port),
  BILLING_SCHEDULE: 'off',
  BILLING_PLANS_FILE: plansFile,
  API_CATALOG_FILE: catalogFile,
  TAP_HMAC_KEY: HMAC_KEY,
};
const config = billingConfigFromEnv(env);
const client = await createClickHouseClient(config.clickhouse);
await migrate(client, config.migrations);
const key = (i: number): string => `bench-key-${String(i).padStart(8, '0')}-abcdef`;
await writeConsumers(client, config.clickhouse.database, Array.from({ length: consumers }, (_, i) => ({ ...emptyConsumer(`c${i}`), plan_id: 'metered' })));
await writeApiKeys(client, config.clickhouse.database, HMAC_KEY, Array.from({ length: consumers }, (_, i) => ({ consumer_id: `c${i}`, key: key(i) })));
// Some usage this period, so the quota has something to add to.
await client.command({
  query: `INSERT INTO ${config.clickhouse.database}.api_requests (event_id, ts, consumer_id, api, method, status, status_class, billable)
          SELECT concat('e', toString(number)), now64(3) - toIntervalSecond(number % 3600), concat('c', toString(number % ${consumers})), 'orders', 'GET', 200, '2xx', true FROM numbers(200000)`,
});

// 1. In process: the decision alone, no HTTP.
const plans = await loadPlansFile(plansFile);
const book = new QuotaBook(client, config.clickhouse.database, plans, pino({ level: 'warn' }));
await book.refresh();
const point = new PolicyPoint({ book, policies: compilePlanPolicies(plans, 1), limiter: new RateLimiter(), catalog: await loadCatalog(catalogFile), keyHmac: credentialHmac(HMAC_KEY), unknownConsumer: undefined });
// The book holds its copy in memory: the embedded engine is let go before timing, so its threads do not count.
await client.close();
const products = ['orders', 'search', 'users'];
const inProcess = 1_000_000;
const tIn = performance.now();
let allowedIn = 0;
for (let i = 0; i < inProcess; i++) {
  const c = (i * 7919) % consumers;
  if (point.decide({ method: 'GET', host: 'api.example.com', path: `/${products[i % 3]}/42`, apiKey: key(c) }).decision.decision === 'allow') allowedIn++;
}
const inMs = performance.now() - tIn;

// 2. Over HTTP, billing in its own process (chDB holds its folder for one process).
const billing = await startService('services/billing/src/main.ts', env, `http://127.0.0.1:${port}/readyz`);
const requests = Array.from({ length: consumers }, (_, i) => ({
  method: 'GET' as const,
  path: `/v1/authorize/${products[i % 3]}/${i}`,
  headers: { host: 'api.example.com', 'x-api-key': key((i * 7919) % consumers), 'x-tollgate-gateway-token': 'bench-gateway-token-01' },
}));
await autocannon({ url: `http://127.0.0.1:${port}`, connections: 32, overallRate: rate, duration: 3, requests }); // warm-up
const metricsBefore = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const run = await autocannon({ url: `http://127.0.0.1:${port}`, connections: 32, overallRate: rate, duration: seconds, requests });
const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
const rssNow = Number(/process_resident_memory_bytes\{service="billing"\} (\d+)/.exec(metrics)?.[1] ?? 0) / 1_048_576;
const rssPeak = billing.pid ? peakRssMb(billing.pid) : 0;
await stopService(billing);

/** Histogram bucket counts of the measured run only (the warm-up's subtracted). */
function buckets(text: string): Array<{ le: string; n: number }> {
  return [...text.matchAll(/tollgate_billing_authorize_seconds_bucket\{le="([^"]+)",service="billing"\} (\d+)/g)].map((m) => ({ le: m[1] as string, n: Number(m[2]) }));
}
const before = buckets(metricsBefore);
const during = buckets(metrics).map((b, i) => ({ le: b.le, n: b.n - (before[i]?.n ?? 0) }));
const decided = during.at(-1)?.n ?? 0;
const p = (q: number): string => during.find((b) => b.n >= q * decided)?.le ?? '?';
const outcomes = [...metrics.matchAll(/tollgate_billing_decisions_total\{decision="([^"]+)",service="billing"\} (\d+)/g)].map((m) => `${m[1]} ${m[2]}`).join(', ');

console.log(table([
  { measure: `in process: PolicyPoint.decide(), ${consumers} consumers × 3 rate policies + hard quota, API key HMAC`, result: `${Math.round(inProcess / (inMs / 1000)).toLocaleString('en')} decisions/s, ${((inMs * 1000) / inProcess).toFixed(2)} µs each (${allowedIn} allowed)` },
  { measure: `HTTP at ${rate}/s for ${seconds} s, 32 keep-alive connections`, result: `${Math.round(run.requests.average)} decisions/s; errors ${run.errors}, timeouts ${run.timeouts}` },
  { measure: 'in the server (histogram bucket bounds)', result: `p50 ≤ ${Number(p(0.5)) * 1000} ms, p99 ≤ ${Number(p(0.99)) * 1000} ms, p99.9 ≤ ${Number(p(0.999)) * 1000} ms` },
  { measure: 'at the client (shares the 2 cores)', result: `p50 ${run.latency.p50} ms, p99 ${run.latency.p99} ms` },
  { measure: 'billing process RSS', result: `${Math.round(rssNow)} MB at the end, peak ${rssPeak} MB` },
  { measure: 'decisions by outcome (whole run)', result: outcomes },
]));
