import { mkdtempSync, readdirSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Spool, SpoolFullError } from '../../src/delivery/spool.ts';
import type { TextMessage } from '../../src/delivery/text-message.ts';

const dir = (): string => mkdtempSync(join(tmpdir(), 'spool-'));
const msgs = (from: number, n: number): TextMessage[] =>
  Array.from({ length: n }, (_, i) => ({ key: `k${from + i}`, value: `{"n":${from + i}}` }));
const options = (d: string, over: Partial<Parameters<typeof Spool.open>[0]> = {}) => ({
  dir: d,
  maxBytes: 1 << 20,
  segmentBytes: 4096,
  fsync: 'always' as const,
  ...over,
});

async function drain(spool: Spool): Promise<TextMessage[]> {
  const out: TextMessage[] = [];
  for (let c = await spool.read(); c; c = await spool.read()) {
    out.push(...c.messages);
    await spool.commit(c);
  }
  return out;
}

describe('on-disk spool', () => {
  it('returns appended messages in order across segment files and reopenings', async () => {
    const d = dir();
    let spool = await Spool.open(options(d));
    for (let i = 0; i < 50; i += 1) await spool.append(msgs(i * 10, 10));
    expect(readdirSync(d).filter((f) => f.endsWith('.spool')).length).toBeGreaterThan(2);
    const first = await spool.read();
    // One appended batch, exactly: a resend must repeat the batch the broker may already hold.
    expect(first!.messages).toEqual(msgs(0, 10));
    await spool.commit(first!);
    await spool.close();

    spool = await Spool.open(options(d));
    const rest = await drain(spool);
    expect([...first!.messages, ...rest]).toEqual(msgs(0, 500));
    expect(spool.isEmpty).toBe(true);
    expect(spool.pendingBytes).toBe(0);
    await spool.close();
  });

  it('deletes segments once they are sent', async () => {
    const d = dir();
    const spool = await Spool.open(options(d));
    for (let i = 0; i < 30; i += 1) await spool.append(msgs(i * 10, 10));
    await drain(spool);
    const left = readdirSync(d).filter((f) => f.endsWith('.spool'));
    expect(left.length).toBeLessThanOrEqual(1);
    for (const f of left) expect(readFileSync(join(d, f)).length).toBe(0);
    await spool.close();
  });

  it('refuses an append beyond its bound and keeps what it had', async () => {
    const d = dir();
    const spool = await Spool.open(options(d, { maxBytes: 300 }));
    await spool.append(msgs(0, 5));
    await expect(spool.append(msgs(5, 20))).rejects.toBeInstanceOf(SpoolFullError);
    expect(await drain(spool)).toEqual(msgs(0, 5));
    await spool.append(msgs(5, 5));
    expect(await drain(spool)).toEqual(msgs(5, 5));
    await spool.close();
  });

  it('cuts off a torn last frame left by a crash mid-write', async () => {
    const d = dir();
    const spool = await Spool.open(options(d, { segmentBytes: 1 << 20 }));
    await spool.append(msgs(0, 3));
    await spool.append(msgs(3, 3));
    await spool.close();
    const segment = readdirSync(d).find((f) => f.endsWith('.spool'))!;
    appendFileSync(join(d, segment), Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 5]));

    const reopened = await Spool.open(options(d, { segmentBytes: 1 << 20 }));
    await reopened.append(msgs(6, 2));
    expect(await drain(reopened)).toEqual(msgs(0, 8));
    await reopened.close();
  });
});
