// The operator console (/): every figure the named queries answer for a time range, with a
// drill-down to one API or one consumer (links in every panel set the filter in the fragment).
// Data: /v1/queries/* with an admin token; the consumer drill-down also reads billing's invoice
// preview through /v1/invoice-preview.
import type { Api, Row } from './lib/api.ts';
import { signIn } from './lib/login.ts';
import { barChart, COLORS, timeChart } from './lib/charts.ts';
import { addMoney, esc, fmt, major, money, moneyByCurrency, pct } from './lib/format.ts';
import { count, renderPanel, table, text, type PanelLoader } from './lib/panels.ts';
import { bucketsOf, readState, resolveRange, writeState, type Range, type ViewState } from './lib/range.ts';
import { invoiceHtml, quotaHtml, type InvoicePreview } from './lib/invoice.ts';
import { worldMap, type CountryFigures } from './lib/world-map.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let api: Api = signIn('This page needs an operator token.', (client) => {
  api = client;
  void reload();
});
let state = readState(location.hash);
let timer: ReturnType<typeof setInterval> | undefined;

/** A link to the same view filtered to one API or consumer (the range and refresh kept). */
function drill(kind: 'api' | 'consumer', id: Row[string] | undefined, label?: string): string {
  const value = String(id ?? '');
  if (value === '') return esc(label ?? '(none)');
  const next: ViewState = { preset: state.preset, refresh: state.refresh, [kind]: value };
  if (state.from) next.from = state.from;
  if (state.to) next.to = state.to;
  return `<a href="${esc(writeState(next))}" data-${kind}="${esc(value)}">${esc(label ?? value)}</a>`;
}

const errors = (r: Row): number => Number(r.client_errors ?? 0) + Number(r.server_errors ?? 0);
/** The filters every query is asked with; each keeps those it declares (Api.query). */
const filters = (range: Range) => ({ from: range.from, to: range.to, interval: range.interval, api: state.api, consumer: state.consumer });

function revenueIndex(rows: readonly Row[], key: string): Map<string, Map<string, bigint>> {
  const index = new Map<string, Map<string, bigint>>();
  for (const r of rows) {
    const totals = index.get(String(r[key])) ?? new Map<string, bigint>();
    addMoney(totals, String(r.currency), r.revenue_minor);
    index.set(String(r[key]), totals);
  }
  return index;
}

function kpi(label: string, value: string, cls = ''): string {
  return `<div class="kpi ${cls}"><dt>${esc(label)}</dt><dd>${esc(value)}</dd></div>`;
}

const loaders = (range: Range): Record<string, PanelLoader | undefined> => {
  const f = filters(range);
  let preview: Promise<InvoicePreview> | undefined;
  const invoicePreview = (): Promise<InvoicePreview> => (preview ??= api.get<InvoicePreview>('/v1/invoice-preview', { consumer: state.consumer }));
  return {
    async kpis(body) {
      const [calls, status, consumers, refused, revenue] = await Promise.all([
        api.query('calls_over_time', f),
        api.query('status_over_time', f),
        api.query('top_consumers', { ...f, limit: 1000 }),
        api.query('refused_by_policy', { ...f, limit: 1000 }),
        state.consumer ? api.query('revenue_by_consumer', f) : state.api ? api.query('revenue_by_api', f) : api.query('revenue_summary', f),
      ]);
      const total = calls.reduce((s, r) => s + Number(r.calls), 0);
      const success = status.reduce((s, r) => s + Number(r.success), 0);
      const active = consumers.filter((r) => r.consumer_id !== '' && (!state.consumer || r.consumer_id === state.consumer)).length;
      const earned = new Map<string, bigint>();
      const lost = new Map<string, bigint>();
      for (const r of revenue.filter((r) => !state.api || r.api === state.api)) {
        addMoney(earned, String(r.currency), r.revenue_minor);
        addMoney(lost, String(r.currency), r.lost_revenue_minor);
      }
      body.innerHTML = `<dl class="kpis">${[
        kpi('Calls', fmt(total)),
        kpi('Success rate', pct(success, total), 's2xx'),
        kpi('4xx', fmt(calls.reduce((s, r) => s + Number(r.client_errors), 0)), 's4xx'),
        kpi('5xx', fmt(calls.reduce((s, r) => s + Number(r.server_errors), 0)), 's5xx'),
        kpi('Active consumers', fmt(active)),
        kpi('Revenue', moneyByCurrency(earned), 'revenue'),
        kpi('Revenue lost', moneyByCurrency(lost), 'lost'),
        kpi('Refused by policy', fmt(refused.reduce((s, r) => s + Number(r.refused), 0))),
      ].join('')}</dl>`;
      body.dataset.calls = String(total);
      return 8;
    },
    quota: state.consumer ? async (body) => quotaHtml(body, await invoicePreview(), new Date()) : undefined,
    invoice: state.consumer ? async (body) => invoiceHtml(body, await invoicePreview()) : undefined,
    async calls(body) {
      const rows = await api.query('calls_over_time', f);
      const byBucket = new Map(rows.map((r) => [Date.parse(String(r.bucket)), r]));
      const points = (key: string): [string, number][] => bucketsOf(range).map((b) => [new Date(b).toISOString(), Number(byBucket.get(b)?.[key] ?? 0)]);
      timeChart(body, 'Calls, 4xx and 5xx over time', [
        { name: 'calls', color: COLORS.calls, points: points('calls') },
        { name: '4xx', color: COLORS.s4xx, points: points('client_errors') },
        { name: '5xx', color: COLORS.s5xx, points: points('server_errors') },
      ]);
      return rows.length;
    },
    async status(body) {
      const rows = await api.query('status_over_time', f);
      const buckets = new Map<number, Record<string, number>>();
      for (const r of rows) {
        const at = Date.parse(String(r.bucket));
        const b = buckets.get(at) ?? { success: 0, other: 0, client_error: 0, server_error: 0 };
        for (const k of Object.keys(b)) b[k] = (b[k] ?? 0) + Number(r[k]);
        buckets.set(at, b);
      }
      const points = (key: string): [string, number][] => bucketsOf(range).map((at) => [new Date(at).toISOString(), buckets.get(at)?.[key] ?? 0]);
      timeChart(
        body,
        'Calls by status class over time',
        [
          { name: '2xx', color: COLORS.s2xx, points: points('success') },
          { name: '1xx/3xx', color: COLORS.sother, points: points('other') },
          { name: '4xx', color: COLORS.s4xx, points: points('client_error') },
          { name: '5xx', color: COLORS.s5xx, points: points('server_error') },
        ],
        { stacked: true },
      );
      return buckets.size;
    },
    async 'top-apis'(body) {
      const rows = await api.query('top_apis', { ...f, limit: 10 });
      const chart = document.createElement('div');
      body.innerHTML = '';
      body.append(chart);
      barChart(chart, 'Calls per API', rows.map((r) => String(r.api)), [
        { name: 'calls', color: COLORS.calls, values: rows.map((r) => Number(r.calls)) },
        { name: 'errors', color: COLORS.s5xx, values: rows.map(errors) },
      ]);
      body.insertAdjacentHTML(
        'beforeend',
        table(rows, [
          { title: 'API', html: (r) => drill('api', r.api) },
          { title: 'Calls', num: true, html: count('calls') },
          { title: 'Errors', num: true, html: (r) => fmt(errors(r)) },
        ], 'Top APIs'),
      );
      return rows.length;
    },
    async 'top-consumers'(body) {
      const [rows, revenue] = await Promise.all([api.query('top_consumers', { ...f, limit: 10 }), api.query('revenue_by_consumer', { ...f, limit: 1000 })]);
      const shown = state.consumer ? rows.filter((r) => r.consumer_id === state.consumer) : rows;
      const byConsumer = revenueIndex(revenue, 'consumer_id');
      body.innerHTML = table(shown, [
        { title: 'Consumer', html: (r) => drill('consumer', r.consumer_id, String(r.name || r.consumer_id || '(anonymous)')) },
        { title: 'Organisation', html: text('org_id') },
        { title: 'Calls', num: true, html: count('calls') },
        { title: 'Errors', num: true, html: (r) => fmt(errors(r)) },
        { title: 'Revenue', num: true, html: (r) => esc(moneyByCurrency(byConsumer.get(String(r.consumer_id)) ?? new Map())) },
      ], 'Top consumers');
      return shown.length;
    },
    'top-orgs': state.consumer
      ? undefined
      : async (body) => {
          const [rows, revenue] = await Promise.all([api.query('top_organisations', { ...f, limit: 10 }), api.query('revenue_by_organisation', { ...f, limit: 1000 })]);
          const byOrg = revenueIndex(revenue, 'org_id');
          body.innerHTML = table(rows, [
            { title: 'Organisation', html: text('org_id') },
            { title: 'Consumers', num: true, html: count('consumers') },
            { title: 'Calls', num: true, html: count('calls') },
            { title: 'Errors', num: true, html: (r) => fmt(errors(r)) },
            { title: 'Revenue', num: true, html: (r) => esc(moneyByCurrency(byOrg.get(String(r.org_id)) ?? new Map())) },
          ], 'Top organisations');
          return rows.length;
        },
    'revenue-api': state.consumer ? undefined : async (body) => revenuePanel(body, (await api.query('revenue_by_api', { ...f, limit: 20 })).filter((r) => !state.api || r.api === state.api), 'api'),
    'revenue-consumer': state.api ? undefined : async (body) => revenuePanel(body, await api.query('revenue_by_consumer', { ...f, limit: 20 }), 'consumer_id'),
    async map(body) {
      const [calls, revenue] = await Promise.all([api.query('calls_by_country', { ...f, limit: 250 }), state.api || state.consumer ? Promise.resolve([]) : api.query('revenue_by_country', { ...f, limit: 250 })]);
      const byCountry = revenueIndex(revenue, 'country');
      const figures = new Map<string, CountryFigures>(
        calls.map((r) => [String(r.country), { calls: Number(r.calls), errors: errors(r), revenue: state.api || state.consumer ? 'see the revenue panels' : moneyByCurrency(byCountry.get(String(r.country)) ?? new Map()) }]),
      );
      return worldMap(body, figures);
    },
    async countries(body) {
      const rows = await api.query('calls_by_country', { ...f, limit: 20 });
      body.innerHTML = table(rows, [
        { title: 'Country', html: text('country', '(unknown)') },
        { title: 'Calls', num: true, html: count('calls') },
        { title: '4xx', num: true, html: count('client_errors') },
        { title: '5xx', num: true, html: count('server_errors') },
      ], 'Calls by country');
      return rows.length;
    },
    async cities(body) {
      const rows = await api.query('calls_by_city', { ...f, limit: 20 });
      body.innerHTML = table(rows, [
        { title: 'City', html: text('city') },
        { title: 'Country', html: text('country') },
        { title: 'Calls', num: true, html: count('calls') },
      ], 'Calls by city');
      return rows.length;
    },
    async refused(body) {
      const rows = await api.query('refused_by_policy', { ...f, limit: 20 });
      const decisions = ['quota', 'rate', 'not_entitled', 'suspended', 'blocked', 'unknown_consumer'];
      const why = (r: Row): string => decisions.filter((d) => Number(r[d]) > 0).sort((a, b) => Number(r[b]) - Number(r[a])).map((d) => `${d.replaceAll('_', ' ')} ${fmt(r[d])}`).join(', ');
      body.innerHTML = rows.length === 0 ? '<p class="empty">No call was refused by policy in this range.</p>' : table(rows, [
        { title: 'Consumer', html: (r) => drill('consumer', r.consumer_id, String(r.consumer_id || '(unknown)')) },
        { title: 'API', html: (r) => drill('api', r.api) },
        { title: 'Refused', num: true, html: count('refused') },
        { title: 'Why', html: (r) => esc(why(r)) },
      ], 'Calls refused by policy');
      return rows.length;
    },
    latest: state.api || state.consumer ? async (body) => latestPanel(body, await api.query('latest_requests', { ...f, limit: 25 })) : undefined,
    async latency(body) {
      const rows = await api.query('latency_by_api', { ...f, limit: 12 });
      barChart(body, 'Latency percentiles per API in milliseconds', rows.map((r) => String(r.api)), [
        { name: 'p50', color: COLORS.p50, values: rows.map((r) => Number(r.p50_ms) || 0) },
        { name: 'p95', color: COLORS.p95, values: rows.map((r) => Number(r.p95_ms) || 0) },
        { name: 'p99', color: COLORS.p99, values: rows.map((r) => Number(r.p99_ms) || 0) },
      ], { unit: 'ms' });
      return rows.length;
    },
  };
};

function revenuePanel(body: HTMLElement, rows: Row[], key: 'api' | 'consumer_id'): number {
  const kind = key === 'api' ? 'api' : 'consumer';
  const chart = document.createElement('div');
  body.innerHTML = '';
  body.append(chart);
  const label = (r: Row): string => `${String(r[key]) || '(none)'} (${String(r.currency)})`;
  barChart(chart, `Revenue and revenue lost by ${kind}, in each currency's major unit`, rows.map(label), [
    { name: 'revenue', color: COLORS.revenue, values: rows.map((r) => major(String(r.revenue_minor), String(r.currency))) },
    { name: 'revenue lost', color: COLORS.lost, values: rows.map((r) => major(String(r.lost_revenue_minor), String(r.currency))) },
  ]);
  body.insertAdjacentHTML(
    'beforeend',
    table(rows, [
      { title: kind === 'api' ? 'API' : 'Consumer', html: (r) => drill(kind, r[key]) },
      { title: 'Revenue', num: true, html: (r) => esc(money(String(r.revenue_minor), String(r.currency))) },
      { title: 'Lost', num: true, html: (r) => esc(money(String(r.lost_revenue_minor), String(r.currency))) },
    ], `Revenue by ${kind}`),
  );
  return rows.length;
}

function latestPanel(body: HTMLElement, rows: Row[]): number {
  body.innerHTML = table(rows, [
    { title: 'Time (UTC)', html: (r) => esc(String(r.ts).replace('T', ' ').slice(0, 19)) },
    { title: 'Consumer', html: (r) => drill('consumer', r.consumer_id, String(r.consumer_id || '(anonymous)')) },
    { title: 'API', html: (r) => drill('api', r.api) },
    { title: 'Request', html: (r) => `${esc(r.method)} <code>${esc(r.path)}</code>` },
    { title: 'Status', num: true, html: (r) => `<span class="status s${String(r.status).charAt(0)}xx">${esc(r.status)}</span>` },
    { title: 'Decision', html: text('decision', '–') },
    { title: 'Where', html: (r) => esc([r.city, r.country].filter(Boolean).join(', ') || '–') },
  ], 'Latest requests');
  return rows.length;
}

function syncForm(): void {
  $<HTMLSelectElement>('preset').value = state.preset;
  $<HTMLSelectElement>('refresh').value = String(state.refresh);
  $('custom').hidden = state.preset !== 'custom';
  if (state.from) $<HTMLInputElement>('custom-from').value = state.from;
  if (state.to) $<HTMLInputElement>('custom-to').value = state.to;
  const filter = $('filter');
  const which = state.api ? `API ${state.api}` : state.consumer ? `consumer ${state.consumer}` : '';
  filter.hidden = which === '';
  filter.innerHTML = which ? `Showing ${esc(which)} only. <a href="${esc(writeState({ ...state, api: undefined, consumer: undefined }))}">Show everything</a>` : '';
}

async function reload(): Promise<void> {
  document.body.dataset.loaded = 'false';
  syncForm();
  let range: Range;
  try {
    range = resolveRange(state, Date.now());
  } catch (error) {
    $('range-label').textContent = (error as Error).message;
    return;
  }
  $('range-label').textContent = `${range.from.slice(0, 16).replace('T', ' ')} to ${range.to.slice(0, 16).replace('T', ' ')} UTC, by ${range.interval}`;
  const all = loaders(range);
  await Promise.all(Object.entries(all).map(([id, load]) => renderPanel(id, load)));
  document.body.dataset.loaded = 'true';
}

function schedule(): void {
  if (timer) clearInterval(timer);
  timer = state.refresh > 0 ? setInterval(() => void reload(), state.refresh * 1000) : undefined;
}

function navigate(next: ViewState): void {
  const hash = writeState(next);
  if (hash === location.hash) void reload();
  else location.hash = hash;
}

addEventListener('hashchange', () => {
  state = readState(location.hash);
  schedule();
  void reload();
});
$('preset').addEventListener('change', () => {
  const preset = $<HTMLSelectElement>('preset').value as ViewState['preset'];
  $('custom').hidden = preset !== 'custom';
  if (preset === 'custom') {
    const now = Math.floor(Date.now() / 60_000) * 60_000;
    if (!$<HTMLInputElement>('custom-to').value) $<HTMLInputElement>('custom-to').value = new Date(now).toISOString().slice(0, 16);
    if (!$<HTMLInputElement>('custom-from').value) $<HTMLInputElement>('custom-from').value = new Date(now - 86_400_000).toISOString().slice(0, 16);
    return;
  }
  navigate({ ...state, preset });
});
$('refresh').addEventListener('change', () => navigate({ ...state, refresh: Number($<HTMLSelectElement>('refresh').value) }));
$('range').addEventListener('submit', (event) => {
  event.preventDefault();
  const preset = $<HTMLSelectElement>('preset').value as ViewState['preset'];
  navigate({ ...state, preset, from: $<HTMLInputElement>('custom-from').value, to: $<HTMLInputElement>('custom-to').value, refresh: Number($<HTMLSelectElement>('refresh').value) });
});

schedule();
if (api.hasToken) void reload();
