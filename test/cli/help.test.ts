// Every command a user types answers --help with usage, options and examples (exit 0, nothing done),
// and a mistake with the reason and the usage (exit 2, no stack trace).
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNode } from '../harness/process.ts';

const COMMANDS: { name: string; entry: string; args?: string[] }[] = [
  { name: 'npm start', entry: 'services/stack/src/main.ts' },
  { name: 'npm run migrate', entry: 'schemas/src/migrate-cli.ts' },
  { name: 'npm run consumers', entry: 'packages/registry/src/consumers-cli.ts', args: ['import', 'x.csv'] },
  { name: 'npm run billing', entry: 'services/billing/src/cli.ts', args: ['run', '--period', '2020-01'] },
];

describe.each(COMMANDS)('$name', ({ entry, args = [] }) => {
  // A data folder that must stay absent: --help and a bad option touch no database.
  const dataDir = join(mkdtempSync(join(tmpdir(), 'cli-help-')), 'never-created');
  const env = { ...process.env, CLICKHOUSE_DATA_DIR: dataDir, KAFKA_BROKERS: '127.0.0.1:1' };

  it('--help prints usage, options and examples and exits 0 without doing anything', async () => {
    const { code, output } = await runNode(['--import', 'tsx', entry, '--help'], env);
    expect(code).toBe(0);
    expect(output).toMatch(/^usage: /m);
    expect(output).toMatch(/^options:/m);
    expect(output).toMatch(/^examples:/m);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('an unknown option prints the reason and the usage, exits 2, without a stack trace', async () => {
    const { code, output } = await runNode(['--import', 'tsx', entry, ...args, '--no-such-option'], env);
    expect(code).toBe(2);
    expect(output).toContain("Unknown option '--no-such-option'");
    expect(output).toMatch(/^usage: /m);
    expect(output).not.toMatch(/^\s+at /m);
    expect(existsSync(dataDir)).toBe(false);
  });
});
