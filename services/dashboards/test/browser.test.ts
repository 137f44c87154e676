/// <reference lib="dom" />
// The console in headless Chromium against the real service on seeded data (revenue and revenue
// lost non-zero, refusals, a quota): every panel of the operator page and of the consumer page
// renders with data (axis ticks, map paths, table rows), the time-range picker and the drill-down
// links reload them, axe-core finds no WCAG A/AA violation (contrast included), the keyboard
// focus order follows the page, a 320 px wide viewport scrolls only vertically with the panels
// stacked, and no page logs an error. Screenshots go to .local/test-artifacts/console/ (CI keeps
// them). Invoice previews come from a stand-in for billing's HTTP route (billing's shape). Needs Debian's chromium (`apt-get install -y chromium`); without it this test fails.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodOf } from '@tollgate/pricing';
import { REPO_ROOT } from '../../../test/harness/infra.ts';
import { pageClock } from '../../../test/harness/clock.ts';
import { callsOf, EARLY, LATE, seed } from './seed.ts';
import { ADMIN_TOKEN, ALICE_TOKEN, startTestDashboard, type TestDashboard } from './helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CONSOLE_ARTIFACTS = `${REPO_ROOT}.local/test-artifacts/console`;
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const HOUR = 3_600_000;
const BILLING_TOKEN = 'billing-admin-token-0123456789';
const OPERATOR_PANELS = ['kpis', 'calls', 'status', 'top-apis', 'top-consumers', 'top-orgs', 'revenue-api', 'revenue-consumer', 'map', 'countries', 'cities', 'refused', 'latency'];
const CONSUMER_PANELS = ['quota', 'invoice', 'usage', 'errors', 'refused'];

let t: TestDashboard;
let billing: Server;
let context: BrowserContext;
let page: Page;
let profile: string;
const problems: string[] = [];

/**
 * A stand-in for billing's invoice-preview route behind its admin token (the dashboards may not
 * import a service; billing's own tests check what it computes): alice's preview in billing's
 * shape (billing's InvoicePreview), for the period `at` falls in, with a hard quota.
 */
async function startBillingStandIn(at: Date): Promise<string> {
  const preview = {
    consumer_id: 'alice',
    period: periodOf(at).name,
    plan_id: 'starter',
    currency: 'EUR',
    lines: [
      { key: 'base_fee', description: 'Starter base fee', units: '1', included_units_used: '0', billable_units: '1', amount_minor: '1000' },
      { key: 'calls', description: 'API calls', meter: 'calls', units: '168', included_units_used: '100', billable_units: '68', amount_minor: '68' },
    ],
    total_minor: '1068',
    lost_revenue_minor: '5',
    quota: { limit: 400, kind: 'hard', used: 168, remaining: 232 },
    included_units: [{ plan: 'starter', meter: 'calls', included_units: '100', used: '100' }],
  };
  billing = createServer((request, response) => {
    const match = /^\/v1\/consumers\/([^/]+)\/invoice-preview$/.exec(request.url ?? '');
    const status = request.headers.authorization !== `Bearer ${BILLING_TOKEN}` ? 401 : match?.[1] === 'alice' ? 200 : 404;
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status === 200 ? preview : { error: 'unknown_consumer' }));
  });
  await new Promise<void>((resolve) => billing.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(billing.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  }
  const now = Date.now();
  let billingUrl = '';
  t = await startTestDashboard(
    'dash_browser',
    async (ch) => {
      await seed(ch.client, ch.database, [
        { start: new Date(now - 30 * HOUR), spreadMs: HOUR, batches: EARLY },
        { start: new Date(now - 40 * 60_000), spreadMs: 20 * 60_000, batches: LATE },
      ]);
      const ts = new Date(now - 10 * 60_000).toISOString();
      const refusal = (event_id: string, decision: string) => ({ event_id, ts, api: 'search', method: 'GET', status: 429, status_class: '4xx', billable: false, decision, consumer_id: 'alice', plan_id: 'starter', country: 'DE' });
      await ch.client.insert({
        table: `${ch.database}.api_requests`,
        values: [refusal('refused-1', 'quota'), refusal('refused-2', 'quota'), refusal('refused-3', 'rate')],
        format: 'JSONEachRow',
        clickhouse_settings: { date_time_input_format: 'best_effort' },
      });
      // Billing's "current" period is the one of the late block's first calls (alice's), so the
      // consumer page has usage in its period on any day, a month begun minutes ago included.
      billingUrl = await startBillingStandIn(new Date(now - 40 * 60_000));
    },
    { env: () => ({ DASHBOARD_BILLING_URL: billingUrl, DASHBOARD_BILLING_TOKEN: BILLING_TOKEN }) },
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
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()} (${message.location().url})`);
  });
  mkdirSync(CONSOLE_ARTIFACTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await t?.close();
  await new Promise((resolve) => (billing ? billing.close(resolve) : resolve(undefined)));
});

type Panels = Record<string, { state: string; rows: number }>;

async function loaded(ids: readonly string[]): Promise<Panels> {
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
  return page.evaluate((list) => Object.fromEntries(list.map((id) => {
    const card = document.getElementById(id)!;
    return [id, { state: card.dataset.state ?? '', rows: Number(card.dataset.rows) }];
  })), ids);
}

const count = async (selector: string): Promise<number> => page.locator(selector).count();
const kpi = async (label: string): Promise<string> => (await page.locator(`#kpis .kpi:has(dt:text-is("${label}")) dd`).textContent()) ?? '';
const shot = async (name: string): Promise<void> => {
  await page.screenshot({ path: `${CONSOLE_ARTIFACTS}/${name}.png`, fullPage: true });
};

function expectEveryPanelReady(panels: Panels): void {
  for (const [id, panel] of Object.entries(panels)) {
    expect(panel.state, id).toBe('ready');
    expect(panel.rows, id).toBeGreaterThan(0);
  }
}

/** axe-core's WCAG 2 A/AA rules (colour contrast among them) on the page as it is. */
async function axeViolations(): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
  });
}

/** Tabs through the first `n` stops: each must be visible and come after the previous one in the page. */
async function focusOrder(n: number): Promise<string[]> {
  // A fresh load: the sequential focus starting point is the top of the page again.
  await page.reload();
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
  const stops: string[] = [];
  let previous = await page.evaluateHandle((): Element => document.body);
  for (let i = 0; i < n; i++) {
    await page.keyboard.press('Tab');
    const current = await page.evaluateHandle((): Element => document.activeElement ?? document.body);
    const { after, visible, name } = await page.evaluate(([prev, cur]) => {
      const el = cur as HTMLElement;
      const r = el.getBoundingClientRect();
      return {
        after: prev === document.body || Boolean((prev as Node).compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING),
        visible: r.width > 0 && r.height > 0,
        name: `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}:${(el.textContent ?? '').trim().slice(0, 20)}`,
      };
    }, [previous, current] as const);
    expect(after, `focus stop ${i} (${name}) comes after the previous one`).toBe(true);
    expect(visible, `focus stop ${i} (${name}) is visible`).toBe(true);
    stops.push(name);
    previous = current;
  }
  return stops;
}

/** At 320 px: no horizontal scroll of the page, every visible panel fits and they stack in one column. */
async function narrowLayout(): Promise<void> {
  const layout = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    body: document.body.scrollWidth,
    width: window.innerWidth,
    cards: Array.from(document.querySelectorAll<HTMLElement>('main > .card:not([hidden])')).map((c) => {
      const r = c.getBoundingClientRect();
      return { id: c.id, left: Math.round(r.left), right: Math.round(r.right) };
    }),
  }));
  expect(layout.width).toBe(320);
  expect(layout.scroll).toBeLessThanOrEqual(320);
  expect(layout.body).toBeLessThanOrEqual(320);
  for (const card of layout.cards) {
    expect(card.right, card.id).toBeLessThanOrEqual(320);
    expect(card.left, card.id).toBe(layout.cards[0]?.left);
  }
}

describe('operator console', () => {
  it('renders every panel with data and follows the time-range picker', async () => {
    await page.goto(`${t.service.url}/#token=${ADMIN_TOKEN}`);
    expect(await page.title()).toBe('Tollgate console');
    expect(page.url()).not.toContain(ADMIN_TOKEN);

    // Last 24 hours (the default): the late block and the refusals.
    let panels = await loaded(OPERATOR_PANELS);
    expectEveryPanelReady(panels);
    expect(Number(await page.getAttribute('#kpis .body', 'data-calls'))).toBe(callsOf(LATE) + 3);
    expect(await kpi('Refused by policy')).toBe('3');
    expect(await kpi('Revenue')).toMatch(/[1-9]/);
    expect(await kpi('Revenue lost')).toMatch(/[1-9]/);
    expect(await count('#top-apis tbody tr')).toBe(2);
    expect(await page.getAttribute('#top-apis tbody tr >> nth=0 >> a', 'data-api')).toBe('search');
    expect(await count('#refused tbody tr')).toBe(1);
    expect(await page.locator('#refused tbody td').allTextContents()).toEqual(['alice', 'search', '3', 'quota 2, rate 1']);

    // Last 7 days: both blocks.
    await page.selectOption('#preset', '7d');
    await page.waitForFunction((n) => document.querySelector<HTMLElement>('#kpis .body')?.dataset.calls === String(n), callsOf(EARLY) + callsOf(LATE) + 3);
    panels = await loaded(OPERATOR_PANELS);
    expectEveryPanelReady(panels);
    // Charts: axes with tick labels (ECharts' SVG text), series drawn.
    for (const id of ['calls', 'status', 'top-apis', 'revenue-api', 'revenue-consumer', 'latency']) {
      expect(await count(`#${id} .chart svg text`), `${id} axis labels`).toBeGreaterThan(3);
      expect(await count(`#${id} .chart svg path`), `${id} shapes`).toBeGreaterThan(2);
    }
    // The map: every country drawn, the three with calls (DE, US, JP) filled and carrying figures.
    expect(await count('#map svg.world path.country')).toBeGreaterThan(150);
    expect(await count('#map path.country[data-calls]')).toBe(3);
    await page.hover('#map path.country[data-country="DE"]');
    expect(await page.locator('#map .map-tip').textContent()).toMatch(/Germany.*calls.*errors.*revenue €/);
    expect(await count('#top-apis tbody tr')).toBe(3);
    expect(await count('#top-consumers tbody tr')).toBe(4);
    expect(await count('#top-orgs tbody tr')).toBe(3);
    expect(await count('#countries tbody tr')).toBe(4);
    expect(await count('#cities tbody tr')).toBe(3);
    expect(await count('#revenue-api tbody tr')).toBeGreaterThan(0);
    expect(await count('#revenue-consumer tbody tr')).toBe(3);
    expect(await page.locator('#latency h2').textContent()).toContain("mesh's concern");
    await shot('operator');

    // A custom range (UTC) holding only the early block.
    await page.selectOption('#preset', 'custom');
    const minute = (ms: number): string => new Date(Math.floor(ms / 60_000) * 60_000).toISOString().slice(0, 16);
    await page.fill('#custom-from', minute(Date.now() - 32 * HOUR));
    await page.fill('#custom-to', minute(Date.now() - 20 * HOUR));
    await page.click('#apply');
    await page.waitForFunction((n) => document.querySelector<HTMLElement>('#kpis .body')?.dataset.calls === String(n), callsOf(EARLY));
    // Every panel but the refusals (made 10 minutes ago, outside this range) has data.
    const early = await loaded(OPERATOR_PANELS);
    expect(early.refused).toEqual({ state: 'ready', rows: 0 });
    expectEveryPanelReady(Object.fromEntries(Object.entries(early).filter(([id]) => id !== 'refused')));
    expect(await count('#top-apis tbody tr')).toBe(3);
    expect(problems).toEqual([]);
  });

  it('drills down to one consumer (quota, invoice preview, status mix, latest requests) and to one API', async () => {
    await page.selectOption('#preset', '7d');
    await loaded(OPERATOR_PANELS);
    await page.click('#top-consumers a[data-consumer="alice"]');
    await page.waitForFunction(() => location.hash.includes('consumer=alice'));
    const panels = await loaded(['kpis', 'quota', 'invoice', 'calls', 'status', 'latest', 'top-apis', 'refused']);
    expectEveryPanelReady(panels);
    expect(await page.locator('#filter').textContent()).toContain('consumer alice');
    expect(await count('#quota .meter')).toBe(2); // the quota and the included calls
    expect(Number(await page.getAttribute('#invoice td.total', 'data-total-minor'))).toBeGreaterThan(0);
    expect(await count('#latest tbody tr')).toBeGreaterThan(5);
    expect(await page.locator('#revenue-api').isHidden()).toBe(true);
    await shot('operator-consumer-alice');

    await page.goto(`${t.service.url}/#range=7d&api=payments`);
    const byApi = await loaded(['kpis', 'calls', 'status', 'top-consumers', 'latest', 'revenue-api', 'latency']);
    expectEveryPanelReady(byApi);
    expect(await page.locator('#latest tbody td:nth-child(3)').allTextContents()).toEqual(expect.arrayContaining(['payments']));
    expect(new Set(await page.locator('#latest tbody td:nth-child(3)').allTextContents())).toEqual(new Set(['payments']));
    await shot('operator-api-payments');
    expect(problems).toEqual([]);
  });

  it('passes axe-core (WCAG A/AA, contrast) and keeps a sensible keyboard focus order', async () => {
    await page.goto(`${t.service.url}/#range=7d`);
    await loaded(OPERATOR_PANELS);
    expect(await axeViolations()).toEqual([]);
    const stops = await focusOrder(12);
    expect(stops[0]).toContain('Skip to the panels');
    expect(stops.slice(1, 3).join(' ')).toMatch(/Operator.*Consumer/);
    expect(stops).toContainEqual(expect.stringContaining('select#preset'));
  });

  it('stays usable 320 px wide: no horizontal scroll, panels stacked', async () => {
    await page.setViewportSize({ width: 320, height: 900 });
    try {
      await page.goto(`${t.service.url}/#range=7d`);
      expectEveryPanelReady(await loaded(OPERATOR_PANELS));
      await narrowLayout();
      await shot('operator-320');
    } finally {
      await page.setViewportSize({ width: 1400, height: 1100 });
    }
  });
});

describe('consumer console', () => {
  it("shows the consumer's period against quota and included units, a forecast, the invoice preview, errors by API and refusals", async () => {
    await page.goto(`${t.service.url}/consumer#token=${ALICE_TOKEN}`);
    const panels = await loaded(CONSUMER_PANELS);
    expectEveryPanelReady(panels);
    expect(await count('#quota .meter')).toBe(2);
    const used = Number(await page.getAttribute('#quota .meter.quota', 'data-used'));
    const projected = Number(await page.getAttribute('#quota .forecast', 'data-projected'));
    expect(used).toBeGreaterThan(0);
    expect(projected).toBeGreaterThanOrEqual(used);
    expect(Number(await page.getAttribute('#invoice td.total', 'data-total-minor'))).toBeGreaterThan(0);
    expect(await count('#invoice tbody tr')).toBeGreaterThan(0);
    expect(await count('#usage .chart svg text')).toBeGreaterThan(3);
    expect(await count('#errors tbody tr')).toBeGreaterThan(0);
    expect(await page.locator('#refused tbody td').allTextContents()).toEqual(['search', '1', '2', '0']);
    await shot('consumer');
    expect(await axeViolations()).toEqual([]);
    const stops = await focusOrder(5);
    expect(stops[0]).toContain('Skip to the panels');

    await page.setViewportSize({ width: 320, height: 900 });
    try {
      await page.reload();
      expectEveryPanelReady(await loaded(CONSUMER_PANELS));
      await narrowLayout();
      await shot('consumer-320');
    } finally {
      await page.setViewportSize({ width: 1400, height: 1100 });
    }
    expect(problems).toEqual([]);
  });

  it("a consumer token reads only its own consumer's data", async () => {
    expect((await t.get('/v1/invoice-preview?consumer=bob', ALICE_TOKEN)).status).toBe(403);
    expect((await t.get('/v1/refused?consumer=bob', ALICE_TOKEN)).status).toBe(403);
    expect((await t.get('/v1/invoice-preview', ALICE_TOKEN)).body).toMatchObject({ consumer_id: 'alice', quota: { limit: 400, kind: 'hard' } });
    expect((await t.get('/v1/invoice-preview', ADMIN_TOKEN)).status).toBe(400);
    expect((await t.get('/v1/invoice-preview?consumer=nobody', ADMIN_TOKEN)).status).toBe(404);
    expect((await t.get('/v1/queries/latest_requests', ALICE_TOKEN)).status).toBe(403);
  });
});
