import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EventSink, type MessageTransport, type SinkMetrics } from '../../src/delivery/event-sink.ts';
import { messagesOf, type RecordSet } from '../../src/kafka/record-set.ts';
import { Spool, SpoolFullError } from '../../src/delivery/spool.ts';
import type { TextMessage } from '../../src/delivery/text-message.ts';

/** A transport that can be switched off, standing in for the broker in these logic tests. */
class SwitchableTransport implements MessageTransport {
  readonly partitions = 1;
  up = true;
  delivered: TextMessage[] = [];
  sends = 0;
  async send(records: RecordSet): Promise<void> {
    const messages = messagesOf(records);
    this.sends += 1;
    await new Promise((r) => setTimeout(r, 1));
    if (!this.up) throw new Error('broker unreachable');
    this.delivered.push(...messages);
  }
}

const counts = { produced: 0, spooled: 0, replayed: 0 };
const metrics: SinkMetrics = {
  produced: (n) => (counts.produced += n),
  spooled: (n) => (counts.spooled += n),
  replayed: (n) => (counts.replayed += n),
  state: () => undefined,
};
const msgs = (from: number, n: number): TextMessage[] => Array.from({ length: n }, (_, i) => ({ key: null, value: String(from + i) }));

async function sinkWith(transport: MessageTransport, maxBytes = 1 << 24) {
  const spool = await Spool.open({ dir: mkdtempSync(join(tmpdir(), 'sink-')), maxBytes, segmentBytes: 1 << 16, fsync: 'never' });
  const sink = new EventSink(transport, spool, { maxBatchMessages: 100, lingerMs: 1, retryMs: 5, maxRetryMs: 20 }, metrics, pino({ level: 'silent' }));
  return { sink, spool };
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !check(); i += 1) await new Promise((r) => setTimeout(r, 10));
};

/**
 * A broker that writes a batch and then fails to acknowledge it, once, and afterwards takes a batch
 * only if it is either that identical batch (deduplicated, as the idempotent producer's resend is)
 * or new — the way a broker treats a producer's sequence numbers.
 */
class UnackedWriteTransport implements MessageTransport {
  written: TextMessage[][] = [];
  sends: TextMessage[][] = [];
  private failedOnce = false;
  readonly partitions = 1;
  async send(records: RecordSet): Promise<void> {
    const messages = messagesOf(records);
    this.sends.push(messages);
    // The failing send is slow, so later requests queue behind it and are spooled after it.
    await new Promise((r) => setTimeout(r, this.failedOnce ? 1 : 50));
    const last = this.written.at(-1);
    if (last && JSON.stringify(last) === JSON.stringify(messages)) return; // duplicate: acknowledged, not written
    if (this.failedOnce && last && messages.some((m) => last.some((l) => l.value === m.value))) {
      throw new Error('out of order sequence: a resend that is not the identical batch');
    }
    this.written.push(messages);
    if (!this.failedOnce) {
      this.failedOnce = true;
      throw new Error('connection lost before the acknowledgement');
    }
  }
}

describe('event sink', () => {
  it('after a send that failed, resends exactly that batch first, so the broker can deduplicate it', async () => {
    const transport = new UnackedWriteTransport();
    const { sink } = await sinkWith(transport);
    const first = sink.accept(msgs(0, 30));
    await new Promise((r) => setTimeout(r, 10));
    // Requests arriving while that send is in flight are spooled behind the failed batch.
    await Promise.all([first, sink.accept(msgs(30, 30)), sink.accept(msgs(60, 30))]);
    await until(() => !sink.isSpooling);
    expect(transport.sends[1]).toEqual(transport.sends[0]);
    expect(transport.written.flat().map((m) => Number(m.value))).toEqual(Array.from({ length: 90 }, (_, i) => i));
    await sink.close();
  });


  it('batches concurrent requests into few sends, every message once, in order', async () => {
    const transport = new SwitchableTransport();
    const { sink } = await sinkWith(transport);
    await Promise.all(Array.from({ length: 50 }, (_, i) => sink.accept(msgs(i * 10, 10))));
    expect(transport.delivered.map((m) => Number(m.value))).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(transport.sends).toBeLessThan(50);
    await sink.close();
  });

  it('spools while the broker is down, then replays in order and goes direct again', async () => {
    const transport = new SwitchableTransport();
    const { sink } = await sinkWith(transport);
    await sink.accept(msgs(0, 10));
    transport.up = false;
    for (let i = 1; i < 20; i += 1) await sink.accept(msgs(i * 10, 10));
    expect(sink.isSpooling).toBe(true);
    expect(sink.spoolBytes).toBeGreaterThan(0);
    transport.up = true;
    await until(() => !sink.isSpooling);
    await sink.accept(msgs(200, 10));
    expect(transport.delivered.map((m) => Number(m.value))).toEqual(Array.from({ length: 210 }, (_, i) => i));
    expect(sink.isSpooling).toBe(false);
    await sink.close();
  });

  it('rejects with SpoolFullError when the broker is down and the spool is full', async () => {
    const transport = new SwitchableTransport();
    transport.up = false;
    const { sink } = await sinkWith(transport, 2_000);
    await sink.accept(msgs(0, 10));
    let refused: unknown;
    for (let i = 1; i < 200 && !refused; i += 1) await sink.accept(msgs(i * 10, 10)).catch((e: unknown) => (refused = e));
    expect(refused).toBeInstanceOf(SpoolFullError);
    expect(sink.canAccept).toBe(false);
    transport.up = true;
    await until(() => !sink.isSpooling);
    expect(sink.canAccept).toBe(true);
    await sink.close();
  });

  it('after close, refuses new messages and has delivered all it accepted', async () => {
    const transport = new SwitchableTransport();
    const { sink } = await sinkWith(transport);
    const pending = sink.accept(msgs(0, 30));
    await sink.close();
    await pending;
    expect(transport.delivered).toHaveLength(30);
    await expect(sink.accept(msgs(30, 1))).rejects.toThrow(/shutting down/);
  });
});
