/// <reference lib="dom" />
// The built-in page in headless Chromium against the real service on seeded data: every chart
// renders from query results, and the time-range picker reloads them. Needs Debian's chromium
// (`apt-get install -y chromium`); without it this test fails, it never skips.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../test/harness/infra.ts';
import { pageClock } from '../../../test/harness/clock.ts';
import { callsOf, EARLY, LATE, seed } from './seed.ts';
import { ADMIN_TOKEN, startTestDashboard, type TestDashboard } from './helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = `${REPO_ROOT}.local/test-artifacts`;
const CHARTS = ['calls', 'top-apis', 'status', 'countries', 'map', 'refused', 'revenue', 'latency'];
const HOUR = 3_600_000;

let t: TestDashboard;
let context: BrowserContext;
let page: Page;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  }
  const now = Date.now();
  t = await startTestDashboard('dash_browser', (ch) =>
    seed(ch.client, ch.database, [
      { start: new Date(now - 30 * HOUR), spreadMs: HOUR, batches: EARLY },
      { start: new Date(now - 40 * 60_000), spreadMs: 20 * 60_000, batches: LATE },
    ]),
  );
  profile = mkdtempSync(join(tmpdir(), 'tollgate-chromium-'));
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 1100 },
    });
  } catch (error) {
    throw new Error(`Chromium at ${CHROMIUM} could not be launched: ${(error as Error).message}`, { cause: error });
  }
  // The page picks its time range from its own clock: make it the test's (faketime moves Node's only).
  await context.clock.install(pageClock());
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await t?.close();
});

async function loaded(): Promise<Record<string, { state: string; rows: number }>> {
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
  return page.evaluate((ids) => Object.fromEntries(ids.map((id) => {
    const card = document.getElementById(id)!;
    return [id, { state: card.dataset.state ?? '', rows: Number(card.dataset.rows) }];
  })), CHARTS);
}

const total = async (): Promise<number> => Number(await page.getAttribute('#total-calls', 'data-value'));
const count = async (selector: string): Promise<number> => page.locator(selector).count();

it('renders every chart from the query API and follows the time-range picker', async () => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${t.service.url}/#token=${ADMIN_TOKEN}`);
  expect(await page.title()).toBe('Tollgate dashboard');

  // Last 24 hours (the default): only the late block.
  let charts = await loaded();
  for (const id of CHARTS) expect(charts[id]?.state, id).toBe('ready');
  expect(await total()).toBe(callsOf(LATE));
  expect(charts['top-apis']?.rows).toBe(2);
  expect(await count('#top-apis svg rect.bar')).toBe(2);
  expect(await page.getAttribute('#top-apis rect.bar >> nth=0', 'data-api')).toBe('search');
  expect(await count('#map circle.dot')).toBe(2);
  expect(charts.countries?.rows).toBe(2);
  expect(charts.latency?.rows).toBe(2);
  expect(charts.revenue?.rows).toBeGreaterThan(0);
  expect(await count('#calls svg rect.bar')).toBe(charts.calls?.rows);

  // Last 7 days: both blocks.
  await page.selectOption('#preset', '7d');
  await page.waitForFunction((n) => document.getElementById('total-calls')?.dataset.value !== String(n), callsOf(LATE));
  charts = await loaded();
  expect(await total()).toBe(callsOf(EARLY) + callsOf(LATE));
  expect(await count('#top-apis svg rect.bar')).toBe(3);
  expect(await count('#map circle.dot')).toBe(3);
  expect(charts.countries?.rows).toBe(4);
  expect(charts.latency?.rows).toBe(3);
  expect(await page.locator('#revenue p.summary').count()).toBeGreaterThan(0);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });

  // A custom range (UTC) holding only the early block.
  await page.selectOption('#preset', 'custom');
  const minute = (ms: number): string => new Date(Math.floor(ms / 60_000) * 60_000).toISOString().slice(0, 16);
  await page.fill('#custom-from', minute(Date.now() - 32 * HOUR));
  await page.fill('#custom-to', minute(Date.now() - 20 * HOUR));
  await page.click('#apply');
  await page.waitForFunction((n) => document.getElementById('total-calls')?.dataset.value === String(n), callsOf(EARLY));
  charts = await loaded();
  expect(await count('#top-apis svg rect.bar')).toBe(3);
  expect(await count('#calls svg rect.bar')).toBe(charts.calls?.rows);
  expect(errors).toEqual([]);
});

it('shows the calls refused by policy per consumer and API, with why', async () => {
  expect(await page.locator('#refused p.empty').count()).toBe(1);
  const ts = new Date(Date.now() - 10 * 60_000).toISOString();
  const refusal = (event_id: string, decision: string) => ({ event_id, ts, api: 'search', method: 'GET', status: 429, status_class: '4xx', billable: false, decision, consumer_id: 'alice', plan_id: 'starter' });
  await t.ch.client.insert({
    table: `${t.ch.database}.api_requests`,
    values: [refusal('refused-1', 'quota'), refusal('refused-2', 'quota'), refusal('refused-3', 'rate')],
    format: 'JSONEachRow',
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  });
  await page.selectOption('#preset', '1h');
  await page.waitForSelector('#refused tbody tr');
  const charts = await loaded();
  expect(charts.refused).toEqual({ state: 'ready', rows: 1 });
  expect(await page.locator('#refused tbody td').allTextContents()).toEqual(['alice', 'search', '3', 'quota 2, rate 1']);
});
