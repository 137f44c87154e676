// The tap's promise: an acknowledged event is never lost, even when Kafka goes away.
// These tests stop and restart a broker of their own, so the shared one is left alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateBroker } from '../../../test/harness/infra.ts';
import { readWholeTopic } from '../../../test/harness/kafka.ts';
import type { TapService } from '../src/service.ts';
import { ingest, ndjsonEvents, startTestTap, testKafka } from './helpers.ts';

const broker = new PrivateBroker('tap-outage', 19192);
const kafka = testKafka(broker.brokers);
const taps: TapService[] = [];

beforeAll(() => broker.start());
afterAll(async () => {
  for (const tap of taps) await tap.close();
  await broker.stop();
});

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function eventIds(messages: Array<{ value: string }>): string[] {
  return messages.map((m) => (JSON.parse(m.value) as { event_id: string }).event_id);
}

describe('broker outage', () => {
  it('broker stopped while 50 000 events are posted, then restarted: every acknowledged event reaches the topic exactly once', async () => {
    const { tap, config } = await startTestTap({ kafka: { brokers: broker.brokers, clientId: 'tap-outage' } });
    taps.push(tap);
    const acknowledged: string[] = [];
    let stopping: Promise<void> | undefined;
    let starting: Promise<void> | undefined;
    let spooledDuringOutage = false;

    const batches = 50;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches) {
        const i = next++;
        if (i === 12) stopping = broker.stop();
        if (i === 36) {
          await stopping;
          starting = broker.start();
        }
        const { ids, body } = ndjsonEvents(i * 1_000, 1_000);
        const response = await ingest(tap, 'ndjson', body, 'application/x-ndjson');
        expect(response.statusCode).toBe(202);
        expect(response.json()).toEqual({ accepted: 1_000, rejected: 0, errors: [] });
        acknowledged.push(...ids);
        if (tap.sink.isSpooling) spooledDuringOutage = true;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await starting;

    expect(spooledDuringOutage).toBe(true);
    await waitUntil(() => !tap.sink.isSpooling, 120_000);
    const ids = eventIds(await readWholeTopic(kafka, config.topic, 120_000));
    expect(acknowledged).toHaveLength(50_000);
    expect(ids).toHaveLength(50_000);
    expect(new Set(ids).size).toBe(50_000);
    expect(new Set(ids)).toEqual(new Set(acknowledged));
  });

  it('spool full: 503 with Retry-After, and nothing acknowledged is lost', async () => {
    const { tap, config } = await startTestTap({ kafka: { brokers: broker.brokers, clientId: 'tap-full' } }, 256 * 1024);
    taps.push(tap);
    const warm = ndjsonEvents(0, 10, 'full');
    expect((await ingest(tap, 'ndjson', warm.body, 'application/x-ndjson')).statusCode).toBe(202);
    const acknowledged = [...warm.ids];

    await broker.stop();
    let refused: { statusCode: number; headers: Record<string, unknown>; body: string } | undefined;
    for (let i = 1; i < 2_000 && !refused; i += 1) {
      const { ids, body } = ndjsonEvents(i * 100, 100, 'full');
      const response = await ingest(tap, 'ndjson', body, 'application/x-ndjson');
      if (response.statusCode === 202) acknowledged.push(...ids);
      else refused = response;
    }
    expect(refused?.statusCode).toBe(503);
    expect(refused?.headers['retry-after']).toBe(String(config.retryAfterSeconds));
    expect(JSON.parse(refused?.body ?? '{}')).toMatchObject({ error: 'unavailable' });
    const ready = await tap.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);

    await broker.start();
    await waitUntil(() => !tap.sink.isSpooling, 120_000);
    const ids = eventIds(await readWholeTopic(kafka, config.topic, 120_000));
    expect(new Set(ids)).toEqual(new Set(acknowledged));
    expect(ids).toHaveLength(acknowledged.length);
    expect((await tap.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  /** Stops the broker and posts `batches` requests of 100 events: each is acknowledged from the spool. */
  async function spoolDuringOutage(tap: TapService, prefix: string, batches: number): Promise<string[]> {
    const warm = ndjsonEvents(0, 10, prefix);
    expect((await ingest(tap, 'ndjson', warm.body, 'application/x-ndjson')).statusCode).toBe(202);
    await broker.stop();
    const acknowledged = [...warm.ids];
    for (let i = 1; i <= batches; i += 1) {
      const { ids, body } = ndjsonEvents(i * 100, 100, prefix);
      expect((await ingest(tap, 'ndjson', body, 'application/x-ndjson')).statusCode).toBe(202);
      acknowledged.push(...ids);
    }
    expect(tap.sink.isSpooling).toBe(true);
    expect(tap.sink.spoolBytes).toBeGreaterThan(0);
    return acknowledged;
  }

  it('Kafka back, then shutdown: close drains the spool into the topic before it returns', async () => {
    const { tap, config } = await startTestTap({ kafka: { brokers: broker.brokers, clientId: 'tap-drain' } });
    const acknowledged = await spoolDuringOutage(tap, 'drain', 20);
    await broker.start();
    const begun = Date.now();
    await tap.close(AbortSignal.timeout(60_000));
    expect(Date.now() - begun).toBeLessThan(60_000);
    expect(tap.sink.spoolBytes).toBe(0);
    const ids = eventIds(await readWholeTopic(kafka, config.topic, 60_000));
    expect(ids).toHaveLength(acknowledged.length);
    expect(new Set(ids)).toEqual(new Set(acknowledged));
  });

  it('Kafka still down at the shutdown deadline: close returns, the spool stays on disk and the next start sends it', async () => {
    const { tap, config } = await startTestTap({ kafka: { brokers: broker.brokers, clientId: 'tap-deadline' } });
    const acknowledged = await spoolDuringOutage(tap, 'deadline', 5);
    const spooled = tap.sink.spoolBytes;
    const begun = Date.now();
    await tap.close(AbortSignal.timeout(1_000));
    expect(Date.now() - begun).toBeLessThan(15_000);
    expect(tap.sink.spoolBytes).toBe(spooled);

    await broker.start();
    const { tap: next } = await startTestTap({ ...config, kafka: { brokers: broker.brokers, clientId: 'tap-deadline-2' } });
    taps.push(next);
    await waitUntil(() => !next.sink.isSpooling, 60_000);
    const ids = eventIds(await readWholeTopic(kafka, config.topic, 60_000));
    expect(ids).toHaveLength(acknowledged.length);
    expect(new Set(ids)).toEqual(new Set(acknowledged));
  });
});
