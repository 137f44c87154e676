// runService: a signal that arrives while the service is still starting stops it gracefully; a
// close that does not finish within SHUTDOWN_TIMEOUT_MS is abandoned and the process exits 1.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/slow-start-service.ts', import.meta.url));

/** Runs the fixture and sends SIGTERM once it has printed `when`. */
function termWhen(when: 'starting' | 'started', env: Record<string, string> = {}): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, LOG_LEVEL: 'silent', ...env } });
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

  it('a close that hangs is abandoned at SHUTDOWN_TIMEOUT_MS: the service hears of it, the process exits 1', async () => {
    const begun = Date.now();
    const result = await termWhen('started', { FIXTURE_CLOSE: 'hang', SHUTDOWN_TIMEOUT_MS: '500' });
    expect(result).toEqual({ code: 1, signal: null, out: 'starting\nstarted\nclosing\nabandoned\n' });
    expect(Date.now() - begun).toBeLessThan(10_000);
  });

  it('refuses a SHUTDOWN_TIMEOUT_MS that is not a number of milliseconds', async () => {
    const result = await termWhen('started', { SHUTDOWN_TIMEOUT_MS: '25s' });
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
  });
});
