import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { testClickHouse, type TestClickHouse } from '../../../test/harness/clickhouse.ts';
import { credentialHmac } from '@tollgate/platform';
import { readApiKeyOwners } from '../src/api-keys.ts';
import { readConsumers } from '../src/consumer-table.ts';
import { runConsumersCli } from '../src/consumers-cli.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await testClickHouse('cli');
});
afterAll(() => ch.client.close());

describe('npm run consumers -- import FILE', () => {
  const env = () => ({ ...process.env, CLICKHOUSE_DATA_DIR: ch.dataDir, CLICKHOUSE_DATABASE: ch.database });
  const dir = mkdtempSync(join(tmpdir(), 'consumers-'));

  it('imports a CSV with a header row, then a JSON array that updates one consumer: the latest version wins', async () => {
    const csv = join(dir, 'consumers.csv');
    writeFileSync(csv, 'consumer_id,org_id,name,email,plan_id,stripe_customer_id,tags\nalice,acme,"Alice, A.",alice@acme.test,starter,,vip;beta\nbob,globex,Bob,bob@globex.test,free,,\n');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await runConsumersCli(['import', csv], env())).toBe(0);
    expect(log).toHaveBeenCalledWith('imported 2 consumers');

    const json = join(dir, 'update.json');
    writeFileSync(json, JSON.stringify([{ consumer_id: 'bob', org_id: 'globex', name: 'Bob', email: 'bob@globex.test', plan_id: 'business', metadata: { region: 'eu' } }]));
    expect(await runConsumersCli(['import', json], env())).toBe(0);
    log.mockRestore();

    const consumers = (await readConsumers(ch.client, ch.database)).sort((a, b) => a.consumer_id.localeCompare(b.consumer_id));
    expect(consumers).toEqual([
      { consumer_id: 'alice', org_id: 'acme', name: 'Alice, A.', email: 'alice@acme.test', plan_id: 'starter', stripe_customer_id: '', tags: ['vip', 'beta'], metadata: {}, status: 'active', blocked_apis: [] },
      { consumer_id: 'bob', org_id: 'globex', name: 'Bob', email: 'bob@globex.test', plan_id: 'business', stripe_customer_id: '', tags: [], metadata: { region: 'eu' }, status: 'active', blocked_apis: [] },
    ]);
  });

  it('shows progress per 1 000 rows on a terminal, and nothing when stderr is not one', async () => {
    const csv = join(dir, 'many.csv');
    writeFileSync(csv, `consumer_id,plan_id\n${Array.from({ length: 2_500 }, (_, i) => `bulk-${i},free`).join('\n')}\n`);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const terminal = { isTTY: true, text: '', write(chunk: string) { this.text += chunk; } };
    expect(await runConsumersCli(['import', csv], env(), terminal)).toBe(0);
    expect(terminal.text.split('\r').filter((s) => s !== '').map((s) => s.replace('\u001b[K', ''))).toEqual(['imported 1000/2500 consumers', 'imported 2000/2500 consumers', 'imported 2500/2500 consumers\n']);
    const pipe = { isTTY: false, text: '', write(chunk: string) { this.text += chunk; } };
    expect(await runConsumersCli(['import', csv], env(), pipe)).toBe(0);
    expect(pipe.text).toBe('');
    expect(log).toHaveBeenCalledWith('imported 2500 consumers');
    log.mockRestore();
    expect((await readConsumers(ch.client, ch.database)).filter((c) => c.consumer_id.startsWith('bulk-'))).toHaveLength(2_500);
  });

  it('stores an api_keys column as HMACs under TAP_HMAC_KEY, so the tap\'s credential_hmac finds the consumer', async () => {
    const csv = join(dir, 'keys.csv');
    writeFileSync(csv, 'consumer_id,plan_id,api_keys\ndave,starter,dave-key-00000000001\n');
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await runConsumersCli(['import', csv], { ...env(), TAP_HMAC_KEY: 'cli-test-hmac-key-000001' })).toBe(0);
    expect(log).toHaveBeenCalledWith('imported 1 consumers and 1 API keys');
    log.mockRestore();
    const owners = await readApiKeyOwners(ch.client, ch.database);
    expect(owners.get(credentialHmac('cli-test-hmac-key-000001')('dave-key-00000000001'))).toBe('dave');
  });

  it('reports bad rows by line and exits non-zero; a missing file or command is a clear error', async () => {
    const csv = join(dir, 'bad.csv');
    writeFileSync(csv, 'consumer_id,email\n,nobody@x.test\ncarol,not-an-email\n');
    const errors: string[] = [];
    const err = vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    expect(await runConsumersCli(['import', csv], env())).toBe(1);
    expect(errors.join('\n')).toMatch(/line 2: .*consumer_id/);
    expect(errors.join('\n')).toMatch(/line 3: .*email/);
    expect(await runConsumersCli(['import', join(dir, 'missing.json')], env())).toBe(1);
    expect(errors.at(-1)).toMatch(/cannot read .*missing\.json/);
    expect(await runConsumersCli(['export'], env())).toBe(2);
    expect(errors.at(-1)).toMatch(/usage: npm run consumers -- import FILE/);
    err.mockRestore();
  });
});
