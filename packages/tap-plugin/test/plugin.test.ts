import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { readWholeTopic } from '../../../test/harness/kafka.ts';
import { uniqueName } from '../../../test/harness/names.ts';
// Through the entry a gateway imports (@tollgate/tap-plugin).
import { tollgateTap, WorkerSink } from '../src/index.ts';
import { FIELD, type Exchange } from '../src/exchange.ts';
import { testKafka, testKafkaSettings, testSpool } from './helpers.ts';

const kafka = testKafka();

describe('in-process fastify plugin', () => {
  it('through a worker-thread sink: one event per request served by the app, with the route template and consumer', async () => {
    const topic = uniqueName('plugin_worker');
    const worker = await WorkerSink.start({
      kafka: testKafkaSettings(),
      transport: { topic, partitions: 3, compression: 'snappy' },
      spool: testSpool('plugin-worker'),
      sink: { maxBatchMessages: 1_000, lingerMs: 2, retryMs: 100, maxRetryMs: 1_000 },
    });
    const app = Fastify();
    await app.register(tollgateTap, {
      sink: worker,
      api: 'shop',
      gatewayInstance: 'node-gw-1',
      consumer: (request) => {
        const id = request.headers['x-consumer-id'];
        return typeof id === 'string' ? { id, auth_method: 'key-auth' } : undefined;
      },
    });
    app.get('/orders/:id', async (request) => ({ id: (request.params as { id: string }).id }));
    app.post('/orders', async (_request, reply) => reply.code(201).send({ ok: true }));

    const sent: Array<{ method: 'GET' | 'POST'; url: string; consumer?: string }> = [];
    for (let i = 0; i < 20; i += 1) {
      sent.push(i % 4 === 0 ? { method: 'POST', url: '/orders' } : { method: 'GET', url: `/orders/${i}?token=secret`, consumer: `c-${i % 3}` });
    }
    sent.push({ method: 'GET', url: '/missing' });
    for (const [i, r] of sent.entries()) {
      const headers = r.consumer ? { 'x-consumer-id': r.consumer, 'x-request-id': `rq-${i}` } : {};
      await app.inject({ method: r.method, url: r.url, headers, ...(r.method === 'POST' ? { payload: { a: 1 } } : {}) });
    }
    await app.close();
    await worker.close();

    let messages = await readWholeTopic(kafka, topic);
    for (let i = 0; i < 50 && messages.length < sent.length; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      messages = await readWholeTopic(kafka, topic);
    }
    expect(messages).toHaveLength(sent.length);
    const events = messages.map((m) => JSON.parse(m.value));
    const gets = events.filter((e) => e.method === 'GET' && e.status === 200);
    expect(gets).toHaveLength(15);
    for (const e of gets) {
      expect(e).toMatchObject({ schema: 'api-request/v1', gateway: { kind: 'fastify', instance: 'node-gw-1' }, api: 'shop', path_template: '/orders/{id}', status: 200 });
      expect(e.path).toMatch(/^\/orders\/\d+$/);
      expect(e.consumer.id).toMatch(/^c-[0-2]$/);
      expect(e.event_id).toMatch(/^fastify:rq-\d+$/);
      expect(e.request_id).toBe(e.event_id.slice('fastify:'.length));
      expect(e.latency_ms.total).toBeGreaterThanOrEqual(0);
      expect(e.response_bytes).toBeGreaterThan(0);
    }
    expect(events.filter((e) => e.method === 'POST' && e.status === 201)).toHaveLength(5);
    expect(events.filter((e) => e.status === 404)).toHaveLength(1);
    // Keys follow the consumer, so one consumer's events share a partition.
    for (const m of messages) {
      const e = JSON.parse(m.value);
      if (e.consumer) expect(m.key).toBe(e.consumer.id);
    }
  });
});

describe('in-process fastify plugin: what it records', () => {
  it('leaves out a Content-Length the event cannot hold (beyond the schema maximum) instead of passing it on', async () => {
    const recorded: Exchange[] = [];
    const app = Fastify();
    await app.register(tollgateTap, { sink: { record: (exchange) => recorded.push(exchange) } });
    app.get('/a', async () => 'ok');
    await app.inject({ method: 'GET', url: '/a', headers: { 'content-length': '100000000000000000000' } });
    await app.inject({ method: 'GET', url: '/a', headers: { 'content-length': '9007199254740991' } });
    await app.close();
    expect(recorded.map((exchange) => exchange[FIELD.requestBytes])).toEqual([null, 9007199254740991]);
  });
});
