// The in-process tap plugin on a fastify hello-world under load: requests/s with the plugin
// (events built in onResponse and produced to the real broker) against without it.
//   npx tsx bench/plugin-overhead.ts [seconds]
import autocannon from 'autocannon';
import { ensureKafka, peakRssMb, startService, stopService, table } from './lib.ts';

const seconds = Number(process.argv[2] ?? 15);
ensureKafka();

async function measure(withPlugin: boolean): Promise<{ rps: number; p99: number; rss: number }> {
  const port = withPlugin ? 18_711 : 18_710;
  const server = await startService('bench/hello-server.ts', { HELLO_PORT: String(port), HELLO_PLUGIN: withPlugin ? '1' : '0' }, `http://127.0.0.1:${port}/health`);
  await autocannon({ url: `http://127.0.0.1:${port}/hello/1`, connections: 32, duration: 3 }); // warm-up
  const result = await autocannon({ url: `http://127.0.0.1:${port}/hello/42`, connections: 32, duration: seconds });
  const rss = peakRssMb(server.pid as number);
  await stopService(server);
  return { rps: Math.round(result.requests.average), p99: result.latency.p99, rss };
}

const without = await measure(false);
const withPlugin = await measure(true);
console.log(table([
  { server: 'fastify hello-world', 'req/s': without.rps, 'p99 ms': without.p99, 'peak RSS MB': without.rss },
  { server: 'same + tollgate tap plugin → Kafka', 'req/s': withPlugin.rps, 'p99 ms': withPlugin.p99, 'peak RSS MB': withPlugin.rss },
]));
console.log(`with / without = ${((withPlugin.rps / without.rps) * 100).toFixed(1)} %`);
