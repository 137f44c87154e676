// Helpers shared by the benchmark scripts: child services, memory sampling, the local broker.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const BROKER = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

export function ensureKafka(): void {
  if (!process.env.KAFKA_BROKERS) execFileSync('bash', [`${REPO_ROOT}deploy/local/kafka.sh`, 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Starts a TypeScript entry in its own process and resolves once `url` answers. */
export async function startService(entry: string, env: Record<string, string>, url: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${REPO_ROOT}${entry}`], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
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

export async function stopService(child: ChildProcess): Promise<void> {
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
