import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
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

describe('on-disk spool: permissions', () => {
  const mode = (path: string): number => statSync(path).mode & 0o777;

  it('keeps its folder 0700 and its segment and cursor files 0600, a folder created for it or found open', async () => {
    const parent = dir();
    const fresh = join(parent, 'nested', 'spool');
    const found = join(parent, 'found');
    mkdirSync(found, { mode: 0o755 });
    chmodSync(found, 0o755);
    for (const d of [fresh, found]) {
      const spool = await Spool.open(options(d, { segmentBytes: 256 }));
      for (let i = 0; i < 10; i += 1) await spool.append(msgs(i * 5, 5));
      await spool.commit((await spool.read())!);
      await spool.close();
      expect(mode(d)).toBe(0o700);
      const files = readdirSync(d);
      expect(files).toContain('cursor.json');
      expect(files.filter((f) => f.endsWith('.spool')).length).toBeGreaterThan(1);
      for (const file of files) expect([file, mode(join(d, file))]).toEqual([file, 0o600]);
    }
  });

  it('closes a segment file an older tap left readable when it appends to it again', async () => {
    const d = dir();
    let spool = await Spool.open(options(d));
    await spool.append(msgs(0, 3));
    await spool.close();
    const segment = readdirSync(d).find((f) => f.endsWith('.spool'))!;
    chmodSync(join(d, segment), 0o644);
    spool = await Spool.open(options(d));
    await spool.append(msgs(3, 3));
    await spool.close();
    expect(mode(join(d, segment))).toBe(0o600);
  });
});
