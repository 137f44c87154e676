// The in-process tap plugin on a fastify hello-world under load: requests/s with the plugin
// (events built in onResponse and produced to the real broker) against without it.
//   npx tsx bench/plugin-overhead.ts [seconds per round] [rounds]
//
// The load comes from wrk (Debian package `wrk`), a C load generator in its own process: autocannon,
// in JavaScript, spends about as much CPU per request as the hello-world itself, so on two cores it
// measured how the load generator and the plugin's worker shared a core rather than what the
// server can serve. The three servers run side by side and are measured in turn, round after
// round in a rotating order, because the same server's requests/s moves 10-20 % between runs here:
// the ratio of medians over several rounds is the figure, with the per-round ratios beside it.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds, ensureKafka, peakRssMb, REPO_ROOT, startService, stopService, table } from './lib.ts';

const seconds = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 5);
/**
 * BENCH_PIN=1 gives the server's event loop a core of its own (the load generator, the broker and
 * the server's other threads share the other core), as a gateway host with a spare core has.
 */
const pin = process.env.BENCH_PIN === '1';

try {
  execFileSync('wrk', ['-v'], { stdio: 'ignore' });
} catch (error) {
  // wrk -v exits 1 after printing its version; only a missing binary throws ENOENT.
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('bench/plugin-overhead.ts needs wrk: apt-get install -y wrk', { cause: error });
}
ensureKafka();
const taskset = (args: string[]) => execFileSync('taskset', args, { stdio: 'ignore' });
/** The local broker's process (none when KAFKA_BROKERS names another). */
const brokerPidFile = `${REPO_ROOT}.local/kafka/kafka.pid`;
const brokerPid = process.env.KAFKA_BROKERS || !existsSync(brokerPidFile) ? undefined : Number(readFileSync(brokerPidFile, 'utf8').trim());
const brokerCpu = (): number => (brokerPid === undefined ? Number.NaN : cpuSeconds(brokerPid));
if (pin && brokerPid !== undefined) taskset(['-a', '-p', '-c', '1', String(brokerPid)]);

/** Main thread (tid = pid) on core 0, every other thread of the server on core 1. */
function pinServer(pid: number): void {
  for (const tid of readdirSync(`/proc/${pid}/task`)) taskset(['-p', '-c', tid === String(pid) ? '0' : '1', tid]);
}

interface Wrk {
  rps: number;
  p99Ms: number;
}

function wrk(url: string, duration: number): Wrk {
  const args = ['-t1', '-c32', `-d${duration}s`, '--latency', url];
  const out = execFileSync(pin ? 'taskset' : 'wrk', pin ? ['-c', '1', 'wrk', ...args] : args, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(out);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  if (!Number.isFinite(rps) || !p99 || errors) throw new Error(`wrk against ${url}:\n${out}`);
  const p99Ms = Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1_000 } as Record<string, number>)[p99[2] as string]!;
  return { rps, p99Ms };
}

const modes = [
  { name: 'fastify hello-world', plugin: '0', port: 18_710 },
  { name: 'same + an empty onResponse hook', plugin: 'noop', port: 18_712 },
  { name: 'same + tollgate tap plugin → Kafka', plugin: '1', port: 18_711 },
] as const;

const servers = [];
for (const mode of modes) {
  const server = await startService('bench/hello-server.ts', { HELLO_PORT: String(mode.port), HELLO_PLUGIN: mode.plugin }, `http://127.0.0.1:${mode.port}/health`);
  wrk(`http://127.0.0.1:${mode.port}/hello/1`, 3); // warm-up
  if (pin) pinServer(server.pid as number);
  servers.push({ ...mode, server, pid: server.pid as number, runs: [] as Array<Wrk & { cpu: number; loopUs: number; offLoopUs: number; brokerUs: number }> });
}

for (let round = 0; round < rounds; round += 1) {
  for (let i = 0; i < servers.length; i += 1) {
    const s = servers[(round + i) % servers.length]!;
    const cpuBefore = cpuSeconds(s.pid);
    const loopBefore = cpuSeconds(s.pid, s.pid);
    const brokerBefore = brokerCpu();
    const result = wrk(`http://127.0.0.1:${s.port}/hello/42`, seconds);
    const requests = result.rps * seconds;
    // The event loop's own CPU per request: what bounds a server whose loop is the bottleneck.
    const cpu = cpuSeconds(s.pid) - cpuBefore;
    const loop = cpuSeconds(s.pid, s.pid) - loopBefore;
    // Off the event loop: the sink's worker thread, V8's helper threads, libuv's pool.
    s.runs.push({ ...result, cpu: cpu / seconds, loopUs: (loop * 1e6) / requests, offLoopUs: ((cpu - loop) * 1e6) / requests, brokerUs: ((brokerCpu() - brokerBefore) * 1e6) / requests });
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const rows = servers.map((s) => ({
  server: s.name,
  'req/s median': Math.round(median(s.runs.map((r) => r.rps))),
  'req/s range': `${Math.round(Math.min(...s.runs.map((r) => r.rps)))}–${Math.round(Math.max(...s.runs.map((r) => r.rps)))}`,
  'p99 ms': median(s.runs.map((r) => r.p99Ms)).toFixed(2),
  'server CPU (cores)': median(s.runs.map((r) => r.cpu)).toFixed(2),
  'event-loop µs/request': median(s.runs.map((r) => r.loopUs)).toFixed(1),
  'off-loop µs/request': median(s.runs.map((r) => r.offLoopUs)).toFixed(1),
  'broker µs/request': median(s.runs.map((r) => r.brokerUs)).toFixed(1),
  'peak RSS MB': peakRssMb(s.pid),
}));
for (const s of servers) await stopService(s.server);

const [without, , withPlugin] = servers;
const perRound = without!.runs.map((r, i) => (withPlugin!.runs[i]!.rps / r.rps) * 100);
console.log(table(rows));
console.log(`${rounds} rounds of ${seconds} s, wrk -t1 -c32${pin ? ', event loop pinned to its own core' : ', 2 cores shared by server, wrk and broker'}`);
console.log(`requests/s with / without = ${((median(withPlugin!.runs.map((r) => r.rps)) / median(without!.runs.map((r) => r.rps))) * 100).toFixed(1)} % (ratio of medians; per round ${perRound.map((p) => p.toFixed(0)).join(', ')} %)`);
console.log(`event-loop capacity with / without = ${((median(without!.runs.map((r) => r.loopUs)) / median(withPlugin!.runs.map((r) => r.loopUs))) * 100).toFixed(1)} %`);
