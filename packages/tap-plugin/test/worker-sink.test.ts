import { describe, expect, it } from 'vitest';
import { readWholeTopic } from '../../../test/harness/kafka.ts';
import { uniqueName } from '../../../test/harness/names.ts';
import type { Exchange } from '../src/exchange.ts';
import { WorkerSink } from '../src/worker-sink.ts';
import { testKafka, testKafkaSettings, testSpool } from './helpers.ts';

describe('WorkerSink', () => {
  it('bounds what waits for the worker: beyond maxPendingEvents events are dropped and counted, the rest delivered', async () => {
    const topic = uniqueName('worker_backlog');
    const drops: Array<[number, string]> = [];
    const sink = await WorkerSink.start(
      {
        kafka: testKafkaSettings(),
        transport: { topic, partitions: 3, compression: 'snappy' },
        spool: testSpool('worker-backlog'),
        sink: { maxBatchMessages: 1_000, lingerMs: 2, retryMs: 100, maxRetryMs: 1_000 },
        flushEvery: { events: 500, ms: 5 },
        maxPendingEvents: 1_000,
      },
      (count, reason) => drops.push([count, reason]),
    );
    // Recorded without yielding: the worker can confirm nothing meanwhile, as when it is starved.
    for (let i = 0; i < 5_000; i += 1) {
      const exchange: Exchange = [`rq-${i}`, Date.now(), 'GET', `/orders/${i}`, '/orders/:id', null, 200, 1, null, null, null, null, 'shop', null, null, null, null, null, null, null];
      sink.record(exchange);
    }
    expect(sink.pending).toBe(1_000);
    expect(sink.dropped).toBe(4_000);
    await sink.close();
    expect(drops.reduce((n, [count]) => n + count, 0)).toBe(4_000);
    expect(drops.every(([, reason]) => reason.startsWith('worker backlog full'))).toBe(true);
    expect(sink.delivered).toBe(1_000);
    const ids = (await readWholeTopic(testKafka(), topic)).map((m) => JSON.parse(m.value).request_id as string);
    expect(ids.sort()).toEqual(Array.from({ length: 1_000 }, (_, i) => `rq-${i}`).sort());
  });
});
