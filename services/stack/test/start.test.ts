// `npm start` as a new user runs it: the whole pipeline on a fresh embedded ClickHouse, the demo fed
// through the tap, and a summary that shows the money — revenue and revenue lost, per currency, for
// the current month (whatever day the clock says: the demo fills the month so far). Uses the shared
// Kafka broker with a topic and consumer group of its own; every port is picked by the system.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_KAFKA_BROKER } from '@tollgate/platform';
import { REPO_ROOT } from '../../../test/harness/infra.ts';
import { uniqueName } from '../../../test/harness/names.ts';

const READY = /Tollgate is running \(ready in ([\d.]+) s\)/;

describe('npm start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-start-'));
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child?.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints a summary with non-zero revenue and revenue lost for the current month', async () => {
    const topic = uniqueName('start');
    child = spawn(process.execPath, [join(REPO_ROOT, 'deploy/local/bootstrap.mjs'), 'services/stack/src/main.ts'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? LOCAL_KAFKA_BROKER,
        CLICKHOUSE_DATA_DIR: join(dir, 'clickhouse'),
        TAP_SPOOL_DIR: join(dir, 'spool'),
        TAP_TOPIC: topic,
        ENRICHER_DLQ_TOPIC: `${topic}_dlq`,
        ENRICHER_GROUP_ID: topic,
        TAP_PORT: '0',
        ENRICHER_PORT: '0',
        BILLING_PORT: '0',
        DASHBOARD_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (READY.test(output)) {
          clearInterval(timer);
          resolve();
        }
      }, 250);
      child?.once('exit', (code) => {
        clearInterval(timer);
        reject(new Error(`npm start exited with ${code} before it was ready:\n${output}`));
      });
    });
    console.log(output.slice(0, output.indexOf('  dashboard')));

    expect(output).toMatch(/^demo: \d+ events sent through the tap/m);
    expect(output).toMatch(/this month {8}\d{4}-\d{2} so far, 12 customers/);
    const money = [...output.matchAll(/^ {4}([A-Z]{3}) +revenue ([\d,.]+) \1, lost to failed calls ([\d,.]+) \1$/gm)].map(([, currency, revenue, lost]) => ({
      currency,
      revenue: Number((revenue ?? '').replaceAll(',', '')),
      lost: Number((lost ?? '').replaceAll(',', '')),
    }));
    expect(money.map((m) => m.currency)).toEqual(['EUR', 'JPY', 'USD']);
    for (const m of money) expect(m.revenue, m.currency).toBeGreaterThan(0);
    // Consumers past their included units pay for every further call, so the server errors among them are lost revenue.
    for (const m of money.filter((x) => x.currency !== 'USD')) expect(m.lost, m.currency).toBeGreaterThan(0);
    expect(output).toMatch(/\(\d+ server errors, [1-9]\d* refused by policy\)/);

    // The dashboards price the same month from the rollups: revenue and revenue lost there too.
    const [, queryApi, token] = /query API +(\S+)\/v1\/queries +Authorization: Bearer (\S+)/.exec(output) ?? [];
    const [, period] = /this month {8}(\d{4}-\d{2})/.exec(output) ?? [];
    const range = `from=${encodeURIComponent(`${period}-01T00:00:00.000Z`)}&to=${encodeURIComponent(new Date().toISOString())}`;
    const answer = await fetch(`${queryApi}/v1/queries/revenue_summary?${range}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await answer.json()) as { rows: { currency: string; revenue_minor: string; lost_revenue_minor: string }[] };
    expect(answer.status, JSON.stringify(body)).toBe(200);
    for (const currency of ['EUR', 'JPY']) {
      const row = body.rows.find((r) => r.currency === currency);
      expect(BigInt(row?.revenue_minor ?? 0), currency).toBeGreaterThan(0n);
      expect(BigInt(row?.lost_revenue_minor ?? 0), currency).toBeGreaterThan(0n);
    }
  });
});
