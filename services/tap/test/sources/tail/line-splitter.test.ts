// The line splitter: byte offsets (what checkpoints and ids are made of), partial lines held until
// their newline, and over-long lines dropped without holding the file.
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../src/sources/tail/line-splitter.ts';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('LineSplitter', () => {
  it('hands out each complete line with the byte offset it starts at, counting UTF-8 bytes', () => {
    const splitter = new LineSplitter(1024);
    const out = splitter.push(bytes('é1\nab\r\n\n  \nlast'));
    expect(out.lines).toEqual([
      { text: 'é1', offset: 0 },
      { text: 'ab', offset: 4 },
    ]);
    // Blank lines are skipped; the unfinished "last" is held: the position stays before it.
    expect(splitter.position).toBe(12);
  });

  it('holds a partial last line until its newline arrives, across pushes', () => {
    const splitter = new LineSplitter(1024);
    expect(splitter.push(bytes('one\ntw')).lines).toEqual([{ text: 'one', offset: 0 }]);
    expect(splitter.push(bytes('o')).lines).toEqual([]);
    expect(splitter.position).toBe(4);
    expect(splitter.push(bytes('\nthree\n')).lines).toEqual([
      { text: 'two', offset: 4 },
      { text: 'three', offset: 8 },
    ]);
    expect(splitter.position).toBe(14);
  });

  it('splits a multi-byte character cut between two reads without damaging it', () => {
    const splitter = new LineSplitter(1024);
    const line = bytes('€uro\n');
    expect(splitter.push(line.subarray(0, 2)).lines).toEqual([]);
    expect(splitter.push(line.subarray(2)).lines).toEqual([{ text: '€uro', offset: 0 }]);
  });

  it('flush hands out the held bytes as a last line (a rotated file will not end it)', () => {
    const splitter = new LineSplitter(1024);
    splitter.push(bytes('a\nhalf'));
    expect(splitter.flush().lines).toEqual([{ text: 'half', offset: 2 }]);
    expect(splitter.position).toBe(6);
    expect(splitter.flush().lines).toEqual([]);
  });

  it('drops lines longer than the limit, whole or still growing, and goes on after them', () => {
    const splitter = new LineSplitter(8);
    const first = splitter.push(bytes('ok\n0123456789\nfine\n0123456789ab'));
    expect(first.lines).toEqual([
      { text: 'ok', offset: 0 },
      { text: 'fine', offset: 14 },
    ]);
    expect(first.tooLong).toEqual([3, 19]);
    // The rest of the runaway line is skipped up to its newline; what follows is read again.
    const next = splitter.push(bytes('cdef\nafter\n'));
    expect(next.lines).toEqual([{ text: 'after', offset: 36 }]);
    expect(next.tooLong).toEqual([]);
    expect(splitter.position).toBe(42);
  });

  it('reset starts again at an offset, forgetting held bytes', () => {
    const splitter = new LineSplitter(1024);
    splitter.push(bytes('abc'));
    splitter.reset(100);
    expect(splitter.push(bytes('x\n')).lines).toEqual([{ text: 'x', offset: 100 }]);
  });
});
