// The tap as its image runs it: bundled into one module by deploy/build/bundle.mjs and started on
// plain node (no TypeScript loader). Events posted to it must reach the broker, and SIGTERM must
// stop it cleanly.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageNodeFlags } from '../../../test/harness/docker-image.ts';
import { readWholeTopic } from '../../../test/harness/kafka.ts';
import { uniqueName } from '../../../test/harness/names.ts';
import { ndjsonEvents, REPO_ROOT, runNode, testKafka, TOKEN } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'tap-bundle-'));
// Same depth below the repository as services/tap/dist, where the image's build puts it.
const outfile = join(REPO_ROOT, 'services/tap/dist', `${uniqueName('main')}.mjs`);


describe('bundled tap (deploy/build/bundle.mjs)', () => {
  const children: ReturnType<typeof spawn>[] = [];
  afterAll(() => {
    for (const child of children) child.kill('SIGKILL');
    rmSync(outfile, { force: true });
    rmSync(`${outfile}.map`, { force: true });
  });

  it('builds, runs on plain node, delivers posted events to Kafka and stops on SIGTERM', async () => {
    const build = await runNode(['deploy/build/bundle.mjs', 'services/tap/src/main.ts', outfile]);
    expect(build.code, build.output).toBe(0);

    const topic = uniqueName('tap_bundle');
    const child = spawn(process.execPath, [...imageNodeFlags('tap'), outfile], {
      cwd: REPO_ROOT,
      env: { ...process.env, TAP_PORT: '0', TAP_HOST: '127.0.0.1', TAP_TOKENS: TOKEN, TAP_TOPIC: topic, TAP_SPOOL_DIR: dir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));

    // Port 0: the tap logs the address it was given.
    let url = '';
    for (let i = 0; url === ''; i += 1) {
      if (child.exitCode !== null) throw new Error(`the bundled tap exited with ${child.exitCode}: ${output}`);
      if (i > 300) throw new Error(`the bundled tap did not start listening: ${output}`);
      url = /tap listening on (http:\/\/[\d.]+:\d+)/.exec(output)?.[1] ?? '';
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await fetch(`${url}/readyz`).then((r) => r.status)).toBe(200);

    const { ids, body } = ndjsonEvents(0, 200, 'bundle');
    const response = await fetch(`${url}/v1/ingest/ndjson`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' }, body });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ accepted: 200, rejected: 0, errors: [] });

    const messages = await readWholeTopic(testKafka(), topic);
    expect(messages.map((m) => (JSON.parse(m.value) as { event_id: string }).event_id).sort()).toEqual([...ids].sort());

    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);
  });
});
