// Helpers shared by the benchmark scripts: child services, memory sampling, the local broker.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LOCAL_KAFKA_BROKER } from '@tollgate/platform';
import type * as TapPlugin from '@tollgate/tap-plugin';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BROKER = process.env.KAFKA_BROKERS || LOCAL_KAFKA_BROKER;

export function ensureKafka(): void {
  if (!process.env.KAFKA_BROKERS) execFileSync('bash', [`${REPO_ROOT}deploy/local/kafka.sh`, 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/**
 * The in-process plugin as a gateway on plain node runs it: bundled with its worker by
 * `npm run build -w packages/tap-plugin` (call buildPlugin first).
 */
export async function importBuiltPlugin(): Promise<typeof TapPlugin> {
  return (await import(`${REPO_ROOT}packages/tap-plugin/dist/plugin.mjs`)) as typeof TapPlugin;
}

export function buildPlugin(): void {
  execFileSync('npm', ['run', 'build', '-w', 'packages/tap-plugin'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Where a benchmarked service's own log goes: .local/bench-logs/<entry>.log. */
function benchLogPath(entry: string): string {
  const dir = `${REPO_ROOT}.local/bench-logs`;
  mkdirSync(dir, { recursive: true });
  return `${dir}/${entry.replaceAll('/', '_')}.log`;
}

/**
 * Starts a service entry (TypeScript through tsx, or a built .mjs on plain node) in its own process,
 * with extra node command-line flags, and resolves once `url` answers.
 */
export async function startService(entry: string, env: Record<string, string>, url: string, flags: readonly string[] = []): Promise<ChildProcess> {
  // A process left over from an interrupted run would answer in its place.
  if (await fetch(url).then(() => true, () => false)) throw new Error(`something already answers at ${url}: stop it first`);
  // BENCH_NODE_ARGS: extra node flags for the service under test (e.g. --cpu-prof, refused in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const log = openSync(benchLogPath(entry), 'a');
  // A built service (.mjs) runs on plain node; TypeScript sources through tsx.
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...flags, ...nodeArgs, ...loader, `${REPO_ROOT}${entry}`], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    // Its log (warnings and errors, LOG_LEVEL=warn) goes to .local/bench-logs/ for a post-mortem.
    stdio: ['ignore', log, 'inherit'],
  });
  closeSync(log); // the child holds its own copy
  child.on('exit', (code, signal) => {
    if (!stoppedOnPurpose.has(child)) console.error(`bench: ${entry} exited on its own (code ${code}, signal ${signal}); log in ${benchLogPath(entry)}`);
  });
  for (let i = 0; i < 200; i += 1) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${entry} did not answer at ${url}`);
}

const stoppedOnPurpose = new WeakSet<ChildProcess>();

export async function stopService(child: ChildProcess): Promise<void> {
  stoppedOnPurpose.add(child);
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** Peak resident memory of a process so far (VmHWM), in MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

export function ndjsonBody(from: number, n: number): string {
  const lines: string[] = [];
  for (let i = from; i < from + n; i += 1) {
    lines.push(JSON.stringify({
      schema: 'api-request/v1',
      event_id: `bench-${i}`,
      timestamp: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
      gateway: { kind: 'generic', instance: 'bench' },
      request_id: `rq-${i}`,
      api: ['orders', 'search', 'payments', 'users'][i % 4],
      method: i % 5 === 0 ? 'POST' : 'GET',
      path: `/v1/orders/${i}`,
      host: 'api.example.com',
      status: i % 50 === 0 ? 503 : 200,
      request_bytes: 120 + (i % 300),
      response_bytes: 900 + (i % 4000),
      latency_ms: { total: 12.5, upstream: 10.1, gateway: 2.4 },
      client_ip: `203.0.113.${i % 250}`,
      user_agent: 'bench/1.0',
      consumer: { id: `c-${i % 997}`, auth_method: 'key-auth' },
    }));
  }
  return `${lines.join('\n')}\n`;
}

export function table(rows: Array<Record<string, string | number>>): string {
  const keys = Object.keys(rows[0] ?? {});
  const widths = keys.map((k) => Math.max(k.length, ...rows.map((r) => String(r[k]).length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(keys), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(keys.map((k) => String(r[k]))))].join('\n');
}

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number, tid?: number): number {
  const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  const fields = readFileSync(path, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const uniform01 = (k: number): string => `(cityHash64(number, ${k}) / 18446744073709551616.0)`;
const SEED_DIMENSIONS: Record<string, string> = {
  realistic: `toUInt32(floor(pow(5000, ${uniform01(1)}))) - 1 AS rank,
      concat('api-', toString((rank + toUInt32(floor(pow(6, ${uniform01(2)}))) - 1) % 20)) AS api_name,
      if(${uniform01(3)} < 0.95, rank % 40, cityHash64(number, 4) % 40) AS country_no,
      country_no * 5 + if(${uniform01(3)} < 0.95, rank % 5, cityHash64(number, 5) % 5) AS city_no,
      ['GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'OPTIONS'][cityHash64(number, 6) % 12 + 1] AS method_name,
      multiIf(${uniform01(7)} < 0.80, 200, ${uniform01(7)} < 0.86, 201, ${uniform01(7)} < 0.88, 204, ${uniform01(7)} < 0.89, 304,
              ${uniform01(7)} < 0.93, 404, ${uniform01(7)} < 0.95, 400, ${uniform01(7)} < 0.97, 429, ${uniform01(7)} < 0.99, 503, 500) AS status_code,
      multiIf(rank < 50, 'business', rank >= 500, 'free', rank % 3 = 0, 'jp-standard', 'starter') AS plan`,
  uniform: `cityHash64(number, 1) % 5000 AS rank, concat('api-', toString(number % 20)) AS api_name,
      number % 40 AS country_no, number % 200 AS city_no,
      ['GET', 'GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'][number % 6 + 1] AS method_name,
      [200, 200, 200, 201, 204, 301, 400, 404, 429, 500, 502, 503][cityHash64(number) % 12 + 1] AS status_code,
      ['free', 'starter', 'business', 'jp-standard'][rank % 4 + 1] AS plan`,
};

/**
 * SQL that seeds `events` enriched requests, spread evenly over `seconds` from `start` (epoch
 * seconds), into <db>.api_requests and <db>.request_latency — generated by ClickHouse itself.
 * 20 APIs, 5 000 consumers in 500 organisations on the example plans, 40 countries of 5 cities.
 * "realistic": consumer activity is log-uniform (the busiest consumer makes ~8 % of the calls, most
 * make a few hundred), each consumer calls a handful of APIs from its home city 95 % of the time,
 * mostly GET, 88 % 2xx / 8 % 4xx / 3 % 5xx. "uniform": every dimension drawn independently per
 * event, so nearly every (day, consumer, API, country, status) is distinct: the rollups' worst case.
 */
export function seedTrafficSql(db: string, events: number, start: number, seconds: number, kind: string): string[] {
  const dimensions = SEED_DIMENSIONS[kind];
  if (dimensions === undefined) throw new Error(`the seed must be one of ${Object.keys(SEED_DIMENSIONS).join(', ')}, not ${kind}`);
  return [
    `INSERT INTO ${db}.api_requests (event_id, ts, api, service, billable, method, status, status_class, request_bytes, response_bytes,
            country, region, city, latitude, longitude, consumer_id, consumer_known, org_id, plan_id)
    SELECT toString(number), toDateTime64(${start} + intDiv(number * ${seconds}, ${events}) + (number % 1000) / 1000, 3, 'UTC'),
      api_name, replace(api_name, 'api-', 'svc-'), status_code < 500, method_name, status_code,
      concat(toString(intDiv(status_code, 100)), 'xx'), 100 + number % 900, 1000 + number % 9000,
      concat('C', toString(country_no)), 'R', concat('City', toString(city_no)), (city_no % 180) - 90, (city_no * 7 % 360) - 180,
      concat('consumer-', toString(rank)), true, concat('org-', toString(intDiv(rank, 10))), plan
    FROM (SELECT number, ${dimensions} FROM numbers(${events}))`,
    `INSERT INTO ${db}.request_latency (event_id, ts, api, upstream_service, route, status_class, total_ms, upstream_ms, gateway_ms)
    SELECT event_id, ts, api, service, '/', status_class, 5 + cityHash64(event_id) % 500, NULL, 1 FROM ${db}.api_requests`,
  ];
}
