// runService: a signal that arrives while the service is still starting stops it gracefully.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/slow-start-service.ts', import.meta.url));

/** Runs the fixture and sends SIGTERM once it has printed `when`. */
function termWhen(when: 'starting' | 'started'): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, LOG_LEVEL: 'silent' } });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.split('\n').includes(when) && !child.killed) child.kill('SIGTERM');
    });
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

describe('runService', () => {
  it('stops gracefully on SIGTERM once started', async () => {
    expect(await termWhen('started')).toEqual({ code: 0, signal: null, out: 'starting\nstarted\nclosed\n' });
  });

  it('on a SIGTERM during start-up (migrations, say), finishes starting, then stops gracefully', async () => {
    expect(await termWhen('starting')).toEqual({ code: 0, signal: null, out: 'starting\nstarted\nclosed\n' });
  });
});
