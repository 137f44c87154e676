// The in-process plugin as a plain-Node gateway uses it: `npm run build -w packages/tap-plugin` bundles it
// (dist/plugin.mjs) with its worker (dist/sink-worker-entry.mjs, which the plugin starts from beside
// itself). A fastify app on plain node, no TypeScript loader, serves requests through it; every
// request reaches the topic as its event.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_KAFKA_BROKER } from '@tollgate/platform';
import { readWholeTopic } from '../../../test/harness/kafka.ts';
import { uniqueName } from '../../../test/harness/names.ts';
import { REPO_ROOT, runNode, testKafka } from './helpers.ts';

const dist = join(REPO_ROOT, 'packages/tap-plugin/dist');
// Beside the build's plugin.mjs, as a gateway would keep it.
const gatewayFile = join(dist, `${uniqueName('gateway')}.mjs`);

/** A gateway on plain node: serves `requests` requests through the bundled plugin, then closes. */
const GATEWAY = `
import Fastify from 'fastify';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tollgateTap, WorkerSink } from './plugin.mjs';

const sink = await WorkerSink.start({
  kafka: { brokers: process.env.KAFKA_BROKERS.split(','), clientId: 'plugin-bundle-test' },
  transport: { topic: process.env.TOPIC, partitions: 3, compression: 'snappy' },
  spool: { dir: mkdtempSync(join(tmpdir(), 'plugin-bundle-')), maxBytes: 1 << 26, segmentBytes: 1 << 20, fsync: 'always' },
  sink: { maxBatchMessages: 1000, lingerMs: 2, retryMs: 100, maxRetryMs: 1000 },
});
const app = Fastify();
await app.register(tollgateTap, { sink, api: 'shop', consumer: (request) => ({ id: String(request.headers['x-consumer-id']) }) });
app.get('/orders/:id', async (request) => ({ id: request.params.id }));
for (let i = 0; i < Number(process.env.REQUESTS); i += 1) {
  await app.inject({ method: 'GET', url: '/orders/' + i, headers: { 'x-consumer-id': 'c-' + (i % 3), 'x-request-id': 'rq-' + i } });
}
await app.close();
await sink.close();
console.log(JSON.stringify({ delivered: sink.delivered, dropped: sink.dropped }));
`;

describe('bundled in-process plugin (npm run build -w packages/tap-plugin)', () => {
  afterAll(() => rmSync(gatewayFile, { force: true }));

  it('runs in a fastify app on plain node, its worker bundled too: one event per request in the topic', async () => {
    const build = spawnSync('npm', ['run', 'build', '-w', 'packages/tap-plugin'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(build.status, `${build.stdout}${build.stderr}`).toBe(0);
    // The worker the plugin starts is the bundle beside it, not the source's tsx entry.
    expect(readFileSync(join(dist, 'sink-worker-entry.mjs'), 'utf8')).not.toContain('tsx/esm/api');
    writeFileSync(gatewayFile, GATEWAY);

    const topic = uniqueName('plugin_bundle');
    const requests = 300;
    const gateway = await runNode([gatewayFile], { ...process.env, TOPIC: topic, REQUESTS: String(requests), KAFKA_BROKERS: process.env.KAFKA_BROKERS || LOCAL_KAFKA_BROKER });
    expect(gateway.code, gateway.output).toBe(0);
    expect(JSON.parse(gateway.output.trim().split('\n').at(-1)!)).toEqual({ delivered: requests, dropped: 0 });

    const events = (await readWholeTopic(testKafka(), topic)).map((m) => JSON.parse(m.value) as { request_id: string; path: string; path_template: string; consumer: { id: string } });
    expect(events.map((e) => e.request_id).sort()).toEqual(Array.from({ length: requests }, (_, i) => `rq-${i}`).sort());
    const one = events.find((e) => e.request_id === 'rq-7')!;
    expect(one).toMatchObject({ path: '/orders/7', path_template: '/orders/{id}', consumer: { id: 'c-1' }, api: 'shop', method: 'GET', status: 200 });
  });
});

