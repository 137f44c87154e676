// The in-process tap plugin on a fastify hello-world under load: requests/s with the plugin
// (events built in onResponse and produced to the real broker) against without it.
//   npx tsx bench/plugin-overhead.ts [seconds per round] [rounds]
//
// The load comes from wrk (Debian package `wrk`), a C load generator in its own process: autocannon,
// in JavaScript, spends about as much CPU per request as the hello-world itself, so on two cores it
// measured how the load generator and the plugin's worker shared a core rather than what the
// server can serve.
//
// Each server's event loop has core 0 to itself; wrk, the broker and the servers' other threads
// (the plugin's worker among them) share core 1. Left to the scheduler, two identical hello-worlds
// measured 71-82 % of each other, round after round: the ratio measured where the threads landed.
// Pinned, the same pair measures 93-108 %. BENCH_PIN=0 leaves placement to the scheduler.
//
// An identical second hello-world (the A/A control) shows the noise floor.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { buildPlugin, cpuSeconds, ensureKafka, peakRssMb, REPO_ROOT, startService, stopService, table } from './lib.ts';

const seconds = Number(process.argv[2] ?? 5);
const rounds = Number(process.argv[3] ?? 10);
const pin = process.env.BENCH_PIN !== '0';
/** wrk's connections: enough that a load generator waiting for its core still leaves requests queued. */
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);

try {
  execFileSync('wrk', ['-v'], { stdio: 'ignore' });
} catch (error) {
  // wrk -v exits 1 after printing its version; only a missing binary throws ENOENT.
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('bench/plugin-overhead.ts needs wrk: apt-get install -y wrk', { cause: error });
}
ensureKafka();
// The plugin as a gateway on plain node runs it: bundled with its worker (hello-server.ts imports it).
buildPlugin();
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
  const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--latency', url];
  const out = execFileSync(pin ? 'taskset' : 'wrk', pin ? ['-c', '1', 'wrk', ...args] : args, { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(out);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  if (!Number.isFinite(rps) || !p99 || errors) throw new Error(`wrk against ${url}:\n${out}`);
  const p99Ms = Number(p99[1]) * ({ us: 0.001, ms: 1, s: 1_000 } as Record<string, number>)[p99[2] as string]!;
  return { rps, p99Ms };
}

const allModes = {
  hello: { name: 'fastify hello-world', plugin: '0', port: 18_710 },
  // The same server again: how far two identical servers' figures fall apart (the noise floor).
  control: { name: 'fastify hello-world again (A/A control)', plugin: '0', port: 18_714 },
  noop: { name: 'same + an empty onResponse hook', plugin: 'noop', port: 18_712 },
  // Diagnostic: the plugin's hook with a sink that drops every exchange (its event-loop cost alone).
  record: { name: 'same + tap plugin, sink drops', plugin: 'record', port: 18_713 },
  plugin: { name: 'same + tollgate tap plugin → Kafka', plugin: '1', port: 18_711 },
  pluginConsumers: { name: 'same, 64 consumers taking turns', plugin: '1', port: 18_717, env: { HELLO_CONSUMERS: '64' } },
  plugin5ms: { name: 'same, hand-over to the worker every 5 ms', plugin: '1', port: 18_715, env: { HELLO_FLUSH_MS: '5' } },
  plugin40ms: { name: 'same, hand-over to the worker every 40 ms', plugin: '1', port: 18_716, env: { HELLO_FLUSH_MS: '40' } },
} as const;
type ModeName = keyof typeof allModes;
const modeNames = (process.env.BENCH_MODES ?? 'hello,control,plugin').split(',') as ModeName[];
for (const m of modeNames) if (!(m in allModes)) throw new Error(`BENCH_MODES: unknown mode ${m} (${Object.keys(allModes).join(', ')})`);

type Run = Wrk & { cpu: number; loopUs: number; offLoopUs: number; brokerUs: number; rssMb: number };
const servers = modeNames.map((m) => ({ ...allModes[m], mode: m, runs: [] as Run[] }));

/** wrk runs per server and round, alternating between the servers, each `seconds` / SLICES long. */
const SLICES = 3;
const slice = Math.max(1, Math.round(seconds / SLICES));

// Fresh processes every round (a process's JIT and memory layout move its requests/s too), and
// within a round the servers take turns in short slices, so that each one's figure is spread over
// the same stretch of time: this machine's speed drifts by 10-30 % over tens of seconds.
for (let round = 0; round < rounds; round += 1) {
  const live = [];
  for (let i = 0; i < servers.length; i += 1) {
    const s = servers[(round + i) % servers.length]!;
    const server = await startService('bench/hello-server.ts', { HELLO_PORT: String(s.port), HELLO_PLUGIN: s.plugin, ...('env' in s ? s.env : {}) }, `http://127.0.0.1:${s.port}/health`);
    const pid = server.pid as number;
    wrk(`http://127.0.0.1:${s.port}/hello/1`, 3); // warm-up
    if (pin) pinServer(pid);
    live.push({ s, server, pid, requests: 0, p99: [] as number[], cpu: 0, loop: 0, broker: 0 });
  }
  for (let k = 0; k < SLICES; k += 1) {
    for (const l of live) {
      const cpuBefore = cpuSeconds(l.pid);
      const loopBefore = cpuSeconds(l.pid, l.pid);
      const brokerBefore = brokerCpu();
      const result = wrk(`http://127.0.0.1:${l.s.port}/hello/42`, slice);
      l.requests += result.rps * slice;
      l.p99.push(result.p99Ms);
      l.cpu += cpuSeconds(l.pid) - cpuBefore;
      l.loop += cpuSeconds(l.pid, l.pid) - loopBefore;
      l.broker += brokerCpu() - brokerBefore;
    }
  }
  for (const l of live) {
    const measured = SLICES * slice;
    // The event loop's own CPU per request bounds a server whose loop is the bottleneck; off the
    // loop are the sink's worker thread, V8's helper threads and libuv's pool.
    l.s.runs.push({
      rps: l.requests / measured,
      p99Ms: Math.max(...l.p99),
      cpu: l.cpu / measured,
      loopUs: (l.loop * 1e6) / l.requests,
      offLoopUs: ((l.cpu - l.loop) * 1e6) / l.requests,
      brokerUs: (l.broker * 1e6) / l.requests,
      rssMb: peakRssMb(l.pid),
    });
    await stopService(l.server);
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const medianRps = (server: (typeof servers)[number]): number => median(server.runs.map((r) => r.rps));
const rows = servers.map((s) => ({
  server: s.name,
  'req/s median': Math.round(medianRps(s)),
  'req/s range': `${Math.round(Math.min(...s.runs.map((r) => r.rps)))}–${Math.round(Math.max(...s.runs.map((r) => r.rps)))}`,
  'p99 ms': median(s.runs.map((r) => r.p99Ms)).toFixed(2),
  'server CPU (cores)': median(s.runs.map((r) => r.cpu)).toFixed(2),
  'event-loop µs/request': median(s.runs.map((r) => r.loopUs)).toFixed(1),
  'off-loop µs/request': median(s.runs.map((r) => r.offLoopUs)).toFixed(1),
  'broker µs/request': median(s.runs.map((r) => r.brokerUs)).toFixed(1),
  'peak RSS MB': Math.max(...s.runs.map((r) => r.rssMb)),
}));
console.log(table(rows));
// The broker is shared with whatever runs next: give it both cores back.
if (pin && brokerPid !== undefined) taskset(['-a', '-p', '-c', '0,1', String(brokerPid)]);
const without = servers.find((s) => s.mode === 'hello');
const withPlugin = servers.find((s) => s.mode === 'plugin');
if (!without || !withPlugin) process.exit(0);
const perRound = without.runs.map((r, i) => (withPlugin.runs[i]!.rps / r.rps) * 100);
console.log(`${rounds} rounds, each server ${SLICES} × ${slice} s a round in turns, wrk -t1 -c${connections}${pin ? ', event loop pinned to its own core' : ', 2 cores shared by server, wrk and broker'}`);
console.log(`requests/s with / without = ${((medianRps(withPlugin) / medianRps(without)) * 100).toFixed(1)} % (ratio of medians; median of the rounds' ratios ${median(perRound).toFixed(1)} %: ${perRound.map((p) => p.toFixed(0)).join(', ')})`);
const control = servers.find((s) => s.mode === 'control');
if (control) {
  const controlRounds = without.runs.map((r, i) => (control.runs[i]!.rps / r.rps) * 100);
  console.log(`A/A control, identical hello-worlds = ${((medianRps(control) / medianRps(without)) * 100).toFixed(1)} % (per round ${controlRounds.map((p) => p.toFixed(0)).join(', ')})`);
  // Either hello-world could be the one "without": against their mean, neither's luck decides.
  const bothWithout = (medianRps(without) + medianRps(control)) / 2;
  console.log(`requests/s with / the two hello-worlds' mean = ${((medianRps(withPlugin) / bothWithout) * 100).toFixed(1)} %`);
}
console.log(`event-loop capacity with / without = ${((median(without.runs.map((r) => r.loopUs)) / median(withPlugin.runs.map((r) => r.loopUs))) * 100).toFixed(1)} %`);
