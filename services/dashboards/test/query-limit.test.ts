// Every statement a named query sends carries ClickHouse's max_execution_time
// (DASHBOARD_QUERY_TIMEOUT_MS), and a query that runs past it is answered 504 query_timeout in the
// one error shape, not left hanging.
import { Histogram } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { queryRows } from '@tollgate/platform';
import { DEFAULT_QUERY_TIMEOUT_MS } from '../src/config.ts';
import { NAMED_QUERIES, type NamedQuery, type QueryContext } from '../src/queries/index.ts';
import { queryRunner } from '../src/routes/query-run.ts';
import { EARLY, fixedDay, seed } from './seed.ts';
import { ALICE_TOKEN, startTestDashboard, type TestDashboard } from './helpers.ts';

let t: TestDashboard;
const { day, early } = fixedDay();
const RANGE = `from=${day.toISOString()}&to=${new Date(day.getTime() + 86_400_000).toISOString()}`;

beforeAll(async () => {
  t = await startTestDashboard('dash_limit', (ch) => seed(ch.client, ch.database, [{ start: early, spreadMs: 3_600_000, batches: EARLY }]));
});
afterAll(async () => t?.close());

describe('query time limit', () => {
  it('is 10 s unless DASHBOARD_QUERY_TIMEOUT_MS says otherwise', () => {
    expect(DEFAULT_QUERY_TIMEOUT_MS).toBe(10_000);
    expect(t.config.queryTimeoutMs).toBe(DEFAULT_QUERY_TIMEOUT_MS);
  });

  it('every named query and the consumer usage route send max_execution_time with each statement', async () => {
    const spy = vi.spyOn(t.ch.client, 'query');
    try {
      for (const query of NAMED_QUERIES) {
        spy.mockClear();
        const { status, body } = await t.get(`/v1/queries/${query.name}?${RANGE}`);
        expect(status, `${query.name}: ${JSON.stringify(body)}`).toBe(200);
        expect(spy.mock.calls.length, query.name).toBeGreaterThan(0);
        for (const [params] of spy.mock.calls) expect(params.clickhouse_settings?.max_execution_time, query.name).toBe(DEFAULT_QUERY_TIMEOUT_MS / 1000);
      }
      spy.mockClear();
      expect((await t.get(`/v1/usage?${RANGE}`, ALICE_TOKEN)).status).toBe(200);
      expect(spy.mock.calls.length).toBeGreaterThan(0);
      for (const [params] of spy.mock.calls) expect(params.clickhouse_settings?.max_execution_time).toBe(DEFAULT_QUERY_TIMEOUT_MS / 1000);
    } finally {
      spy.mockRestore();
    }
  });

  it('a query past the limit is stopped by ClickHouse and answered 504 query_timeout', async () => {
    const heavy: NamedQuery = {
      name: 'heavy',
      description: 'scans far more than 50 ms allow',
      params: [],
      columns: [],
      run: async (ctx) => queryRows(ctx.client, 'SELECT count() AS n FROM numbers(20000000000) WHERE sipHash64(number) % 7 = 1'),
    };
    const duration = new Histogram({ name: 'limit_test_seconds', help: 'test', labelNames: ['query', 'outcome'] as const, registers: [] });
    const run = queryRunner({ client: t.ch.client } as unknown as QueryContext, duration, 50);
    const begun = Date.now();
    const error = await run(heavy, {} as never).then(() => undefined, (e: unknown) => e);
    expect(Date.now() - begun).toBeLessThan(5_000);
    expect(error).toMatchObject({ code: 'query_timeout', statusCode: 504, message: expect.stringContaining('50 ms') });
  });
});
