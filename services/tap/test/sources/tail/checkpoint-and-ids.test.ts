// Checkpoints (one per followed path, replaced atomically) and the ids derived from a line's place.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointStore, type Checkpoint } from '../../../src/sources/tail/checkpoint-store.ts';
import { lineEventId } from '../../../src/sources/tail/line-id.ts';

const generation = { dev: '2049', ino: '18446744073709551000', salt: '0123456789abcdef' };

describe('CheckpointStore', () => {
  it('saves and loads a checkpoint per path in <spool>/tail, leaving no temporary file', async () => {
    const spool = mkdtempSync(join(tmpdir(), 'tail-cp-'));
    const store = new CheckpointStore(spool, true);
    expect(await store.load('/var/log/a.log')).toBeUndefined();
    const a: Checkpoint = { path: '/var/log/a.log', generation, offset: 1234, head: { bytes: 256, sha256: 'ab'.repeat(32) } };
    const b: Checkpoint = { path: '/var/log/b.log', generation: { ...generation, ino: '7' }, offset: 5 };
    await store.save(a);
    await store.save(b);
    await store.save({ ...a, offset: 2048 });
    expect(await store.load('/var/log/a.log')).toEqual({ ...a, offset: 2048 });
    expect(await store.load('/var/log/b.log')).toEqual(b);
    const files = readdirSync(join(spool, 'tail'));
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.endsWith('.json'))).toBe(true);
  });
});

describe('lineEventId', () => {
  it('is a UUID that depends only on the file identity, the generation salt and the offset', () => {
    const id = lineEventId(generation, 4096);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(lineEventId({ ...generation }, 4096)).toBe(id);
    // The offset is its last 48 bits: two lines of one generation never share an id.
    expect(id.endsWith('-000000001000')).toBe(true);
    const others = [
      lineEventId(generation, 4097),
      lineEventId({ ...generation, salt: 'fedcba9876543210' }, 4096),
      lineEventId({ ...generation, ino: '18446744073709551001' }, 4096),
      lineEventId({ ...generation, dev: '2050' }, 4096),
    ];
    expect(new Set([id, ...others]).size).toBe(5);
  });
});
