// Progress is for a person at a terminal: written only to a TTY, never under --json, every N items
// and at the last one, on one line rewritten in place.
import { describe, expect, it } from 'vitest';
import { terminalProgress, type ProgressStream } from '../src/progress.ts';

function stream(isTTY: boolean): ProgressStream & { text: string } {
  return {
    isTTY,
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

const describeRun = (done: number, total: number): string => `invoiced ${done}/${total} customers`;

describe('terminalProgress', () => {
  it('rewrites one line on a terminal and ends it once', () => {
    const tty = stream(true);
    const progress = terminalProgress({ stream: tty, describe: describeRun });
    for (let i = 1; i <= 3; i++) progress.update(i, 3);
    progress.finish();
    progress.finish();
    expect(tty.text).toBe('\rinvoiced 1/3 customers\u001b[K\rinvoiced 2/3 customers\u001b[K\rinvoiced 3/3 customers\u001b[K\n');
  });

  it('writes every N items and always the last one', () => {
    const tty = stream(true);
    const progress = terminalProgress({ stream: tty, describe: (done, total) => `imported ${done}/${total}`, every: 1_000 });
    for (let i = 1; i <= 2_500; i++) progress.update(i, 2_500);
    progress.finish();
    expect(tty.text.split('\r').filter((s) => s !== '').map((s) => s.replace('\u001b[K', ''))).toEqual(['imported 1000/2500', 'imported 2000/2500', 'imported 2500/2500\n']);
  });

  it('stays quiet when the stream is no terminal, and under --json on a terminal', () => {
    const pipe = stream(false);
    const quiet = stream(true);
    for (const [s, q] of [[pipe, false], [quiet, true]] as const) {
      const progress = terminalProgress({ stream: s, describe: describeRun, quiet: q });
      progress.update(1, 1);
      progress.finish();
    }
    expect(pipe.text).toBe('');
    expect(quiet.text).toBe('');
    // A stream that does not say it is a terminal is not one.
    const unknown = { text: '', write(chunk: string) { this.text += chunk; } };
    const progress = terminalProgress({ stream: unknown, describe: describeRun });
    progress.update(1, 1);
    progress.finish();
    expect(unknown.text).toBe('');
  });

  it('writes nothing, not even the line end, when no item went through', () => {
    const tty = stream(true);
    terminalProgress({ stream: tty, describe: describeRun }).finish();
    expect(tty.text).toBe('');
  });
});
