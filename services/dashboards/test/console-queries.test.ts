// The queries and routes the console added, on the embedded engine with seeded traffic:
// latest_requests (newest first, filtered), revenue_by_organisation and revenue_by_country (they
// add up to revenue_summary to the minor unit), /v1/refused and /v1/invoice-preview scoped to a
// consumer token (billing not configured here: 503), and the console's pure helpers (the linear
// forecast with an injected clock, the view state in the fragment).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearForecast, periodBounds } from '../console/src/lib/forecast.ts';
import { bucketsOf, readState, resolveRange, writeState } from '../console/src/lib/range.ts';
import { callsOf, EARLY, fixedDay, LATE, seed } from './seed.ts';
import { ADMIN_TOKEN, ALICE_TOKEN, startTestDashboard, type TestDashboard } from './helpers.ts';

type Rows = Record<string, string | number | null>[];
let t: TestDashboard;
const { day, early, late } = fixedDay();
const HOUR = 3_600_000;
const RANGE = `from=${day.toISOString()}&to=${new Date(day.getTime() + 24 * HOUR).toISOString()}`;

async function rows(name: string, query: string): Promise<Rows> {
  const { status, body } = await t.get(`/v1/queries/${name}?${query}`);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.rows as Rows;
}

/** Sums a money column per currency. */
function perCurrency(list: Rows, column: string): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const r of list) if (r.currency) out[String(r.currency)] = (out[String(r.currency)] ?? 0n) + BigInt(String(r[column]));
  return out;
}

beforeAll(async () => {
  t = await startTestDashboard('dash_console', (ch) =>
    seed(ch.client, ch.database, [
      { start: early, spreadMs: HOUR, batches: EARLY },
      { start: late, spreadMs: HOUR / 2, batches: LATE },
    ]),
  );
});
afterAll(async () => t?.close());

describe('console queries', () => {
  it('latest_requests: newest first, within the range and the filters, at most limit rows', async () => {
    const all = await rows('latest_requests', `${RANGE}&limit=1000`);
    expect(all).toHaveLength(callsOf(EARLY) + callsOf(LATE));
    const times = all.map((r) => Date.parse(String(r.ts)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const bobPayments = await rows('latest_requests', `${RANGE}&consumer=bob&api=payments&limit=3`);
    expect(bobPayments).toHaveLength(3);
    expect(bobPayments.every((r) => r.consumer_id === 'bob' && r.api === 'payments')).toBe(true);
    expect(bobPayments[0]).toMatchObject({ method: 'POST', country: 'US', city: 'New York' });
    expect(Date.parse(String(bobPayments[0]?.ts))).toBeGreaterThanOrEqual(late.getTime());
  });

  it('revenue by organisation and by country add up to the revenue summary, per currency', async () => {
    const summary = await rows('revenue_summary', RANGE);
    const byOrg = await rows('revenue_by_organisation', RANGE);
    const byCountry = await rows('revenue_by_country', RANGE);
    const expected = perCurrency(summary, 'revenue_minor');
    expect(Object.values(expected).some((v) => v > 0n)).toBe(true);
    expect(perCurrency(byOrg, 'revenue_minor')).toEqual(expected);
    expect(perCurrency(byCountry, 'revenue_minor')).toEqual(expected);
    expect(perCurrency(byOrg, 'lost_revenue_minor')).toEqual(perCurrency(summary, 'lost_revenue_minor'));
    expect(perCurrency(byCountry, 'lost_revenue_minor')).toEqual(perCurrency(summary, 'lost_revenue_minor'));
    // acme holds alice (EUR) and bob (USD): one row per currency; bob's calls all come from the US.
    expect(byOrg.filter((r) => r.org_id === 'acme').map((r) => r.currency).sort()).toEqual(['EUR', 'USD']);
    const usd = byCountry.filter((r) => r.currency === 'USD');
    expect(usd.map((r) => r.country)).toEqual(['US']);
  });

  it('/v1/refused and /v1/invoice-preview: a consumer token reads its own only; no billing configured is 503', async () => {
    expect((await t.get(`/v1/refused?${RANGE}`, ALICE_TOKEN)).status).toBe(200);
    expect((await t.get(`/v1/refused?${RANGE}&consumer=bob`, ALICE_TOKEN)).status).toBe(403);
    expect((await t.get(`/v1/refused?${RANGE}&consumer=bob`, ADMIN_TOKEN)).status).toBe(200);
    expect((await t.get(`/v1/refused?${RANGE}`, '')).status).toBe(401);
    expect((await t.get('/v1/invoice-preview?consumer=bob', ALICE_TOKEN)).status).toBe(403);
    const preview = await t.get('/v1/invoice-preview', ALICE_TOKEN);
    expect(preview.status).toBe(503);
    expect(preview.body).toMatchObject({ error: 'billing_not_configured' });
  });

  it('serves both console pages and their bundled scripts', async () => {
    for (const path of ['/', '/consumer', '/app.js', '/consumer.js', '/style.css']) {
      const response = await fetch(`${t.service.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-security-policy'), path).toContain("script-src 'self'");
    }
    const html = await (await fetch(`${t.service.url}/`)).text();
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere: the page works offline
  });
});

describe('console helpers', () => {
  it('forecasts usage linearly to the period end from an injected clock', () => {
    const june = periodBounds('2025-06');
    expect(june).toEqual({ start: new Date('2025-06-01T00:00:00Z'), end: new Date('2025-07-01T00:00:00Z') });
    expect(periodBounds('2025-12').end).toEqual(new Date('2026-01-01T00:00:00Z'));
    // 10 of 30 days elapsed, 300 used: 900 by the end.
    expect(linearForecast(300, june, new Date('2025-06-11T00:00:00Z'))).toEqual({ projected: 900, elapsed: 1 / 3 });
    expect(linearForecast(300, june, new Date('2025-06-01T00:00:00Z'))).toEqual({ projected: 300, elapsed: 0 });
    expect(linearForecast(300, june, new Date('2025-08-01T00:00:00Z'))).toEqual({ projected: 300, elapsed: 1 });
  });

  it('keeps the view in the fragment and resolves it against the clock in whole minutes', () => {
    const state = readState('#range=custom&from=2025-06-01T00:00&to=2025-06-02T00:00&api=search&refresh=60');
    expect(state).toEqual({ preset: 'custom', from: '2025-06-01T00:00', to: '2025-06-02T00:00', api: 'search', refresh: 60 });
    expect(readState(writeState(state))).toEqual(state);
    expect(resolveRange(state, 0)).toEqual({ from: '2025-06-01T00:00:00.000Z', to: '2025-06-02T00:00:00.000Z', interval: 'hour' });
    const now = Date.parse('2025-06-15T12:00:30Z');
    expect(resolveRange(readState('#range=1h'), now)).toEqual({ from: '2025-06-15T11:01:00.000Z', to: '2025-06-15T12:01:00.000Z', interval: 'minute' });
    expect(resolveRange(readState('#range=month'), now).from).toBe('2025-06-01T00:00:00.000Z');
    expect(readState('#range=bogus').preset).toBe('24h');
    expect(() => resolveRange(readState('#range=custom'), now)).toThrow(/custom range/);
    expect(bucketsOf({ from: '2025-06-15T10:30:00.000Z', to: '2025-06-15T13:00:00.000Z', interval: 'hour' })).toEqual(
      [10, 11, 12].map((h) => Date.parse(`2025-06-15T${h}:00:00Z`)),
    );
  });
});
