// The in-process tap plugin on a fastify hello-world under load: requests/s with the plugin
// (events built in onResponse and produced to the real broker) against without it.
//   npx tsx bench/plugin-overhead.ts [seconds]
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds, ensureKafka, peakRssMb, REPO_ROOT, startService, stopService, table } from './lib.ts';

const seconds = Number(process.argv[2] ?? 15);
/**
 * BENCH_PIN=1 gives the server's event loop a core of its own (the load generator, the broker and
 * the server's other threads share the other core), as a gateway host with a spare core has. On a
 * 2-core machine without it, the sink's worker thread competes with the load generator for CPU.
 */
const pin = process.env.BENCH_PIN === '1';
ensureKafka();
const taskset = (args: string[]) => execFileSync('taskset', args, { stdio: 'ignore' });
if (pin) {
  taskset(['-a', '-p', '-c', '1', String(process.pid)]);
  const broker = readFileSync(`${REPO_ROOT}.local/kafka/kafka.pid`, 'utf8').trim();
  taskset(['-a', '-p', '-c', '1', broker]);
}

/** Main thread (tid = pid) on core 0, every other thread of the server on core 1. */
function pinServer(pid: number): void {
  for (const tid of readdirSync(`/proc/${pid}/task`)) taskset(['-p', '-c', tid === String(pid) ? '0' : '1', tid]);
}

async function measure(withPlugin: boolean | 'noop'): Promise<{ rps: number; p99: number; rss: number; cpu: number; loopUs: number }> {
  const port = withPlugin === 'noop' ? 18_712 : withPlugin ? 18_711 : 18_710;
  const server = await startService('bench/hello-server.ts', { HELLO_PORT: String(port), HELLO_PLUGIN: withPlugin === 'noop' ? 'noop' : withPlugin ? '1' : '0' }, `http://127.0.0.1:${port}/health`);
  await autocannon({ url: `http://127.0.0.1:${port}/hello/1`, connections: 32, duration: 3 }); // warm-up
  if (pin) pinServer(server.pid as number);
  const pid = server.pid as number;
  const cpuBefore = cpuSeconds(pid);
  const loopBefore = cpuSeconds(pid, pid);
  const result = await autocannon({ url: `http://127.0.0.1:${port}/hello/42`, connections: 32, duration: seconds });
  const cpu = (cpuSeconds(pid) - cpuBefore) / seconds;
  // The event loop's own CPU per request: what bounds a server whose loop is the bottleneck.
  const loopUs = ((cpuSeconds(pid, pid) - loopBefore) * 1e6) / (result.requests.average * seconds);
  const rss = peakRssMb(server.pid as number);
  await stopService(server);
  return { rps: Math.round(result.requests.average), p99: result.latency.p99, rss, cpu, loopUs };
}

const without = await measure(false);
const noopHook = await measure('noop');
const withPlugin = await measure(true);
console.log(table([
  { server: 'fastify hello-world', 'req/s': without.rps, 'p99 ms': without.p99, 'peak RSS MB': without.rss, 'server CPU (cores)': without.cpu.toFixed(2), 'event-loop µs/request': without.loopUs.toFixed(1) },
  { server: 'same + an empty onResponse hook', 'req/s': noopHook.rps, 'p99 ms': noopHook.p99, 'peak RSS MB': noopHook.rss, 'server CPU (cores)': noopHook.cpu.toFixed(2), 'event-loop µs/request': noopHook.loopUs.toFixed(1) },
  { server: 'same + tollgate tap plugin → Kafka', 'req/s': withPlugin.rps, 'p99 ms': withPlugin.p99, 'peak RSS MB': withPlugin.rss, 'server CPU (cores)': withPlugin.cpu.toFixed(2), 'event-loop µs/request': withPlugin.loopUs.toFixed(1) },
]));
console.log(`event-loop capacity with / without = ${((without.loopUs / withPlugin.loopUs) * 100).toFixed(1)} % (requests/s a loop-bound server keeps with the plugin)`);
console.log(`measured req/s with / without = ${((withPlugin.rps / without.rps) * 100).toFixed(1)} %${pin ? ' (event loop pinned to its own core)' : ' (2 cores shared by server, load generator and broker)'}`);
