// The consumer console (/consumer): one consumer's own view with its own token (QUERY_CONSUMER_TOKENS,
// the token of GET /v1/usage): the current billing period's usage against its quota and included
// units with a forecast to the period's end, the invoice preview, errors by API and the calls the
// gateway refused (rate limits, quota). Data: /v1/invoice-preview, /v1/usage, /v1/refused.
import type { Api, Row } from './lib/api.ts';
import { signIn } from './lib/login.ts';
import { COLORS, timeChart } from './lib/charts.ts';
import { esc, fmt, pct } from './lib/format.ts';
import { periodBounds } from './lib/forecast.ts';
import { invoiceHtml, quotaHtml, type InvoicePreview } from './lib/invoice.ts';
import { count, renderPanel, table, text } from './lib/panels.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

let api: Api = signIn('This page needs your API token.', (client) => {
  api = client;
  void reload();
});
let timer: ReturnType<typeof setInterval> | undefined;

async function reload(): Promise<void> {
  document.body.dataset.loaded = 'false';
  const preview = api.get<InvoicePreview>('/v1/invoice-preview');
  // The period comes from billing's answer; until it does, the current UTC month.
  const period = await preview.then((p) => periodBounds(p.period), () => periodBounds(new Date().toISOString().slice(0, 7)));
  const to = new Date(Math.ceil(Date.now() / 60_000) * 60_000).toISOString();
  const range = { from: period.start.toISOString(), to };
  $('range-label').textContent = `Billing period ${period.start.toISOString().slice(0, 7)}: ${range.from.slice(0, 10)} to ${period.end.toISOString().slice(0, 10)} (UTC)`;
  const usage = api.get<{ rows: Row[] }>('/v1/usage', { ...range, interval: 'day' }).then((b) => b.rows);
  await Promise.all([
    renderPanel('quota', async (body) => quotaHtml(body, await preview, new Date())),
    renderPanel('invoice', async (body) => invoiceHtml(body, await preview)),
    renderPanel('usage', async (body) => {
      const rows = await usage;
      const byDay = new Map<string, Record<string, number>>();
      for (const r of rows) {
        const day = byDay.get(String(r.bucket)) ?? { '2xx': 0, '4xx': 0, '5xx': 0, other: 0 };
        const cls = ['2xx', '4xx', '5xx'].includes(String(r.status_class)) ? String(r.status_class) : 'other';
        day[cls] = (day[cls] ?? 0) + Number(r.calls);
        byDay.set(String(r.bucket), day);
      }
      const points = (key: string): [string, number][] => [...byDay].map(([bucket, d]) => [bucket, d[key] ?? 0]);
      timeChart(body, 'Your calls per day by status class', [
        { name: '2xx', color: COLORS.s2xx, points: points('2xx') },
        { name: '1xx/3xx', color: COLORS.sother, points: points('other') },
        { name: '4xx', color: COLORS.s4xx, points: points('4xx') },
        { name: '5xx', color: COLORS.s5xx, points: points('5xx') },
      ], { stacked: true, height: 240 });
      return byDay.size;
    }),
    renderPanel('errors', async (body) => {
      const perApi = new Map<string, Row & { api: string; calls: number; client_errors: number; server_errors: number }>();
      for (const r of await usage) {
        const a = perApi.get(String(r.api)) ?? { api: String(r.api), calls: 0, client_errors: 0, server_errors: 0 };
        a.calls += Number(r.calls);
        if (r.status_class === '4xx') a.client_errors += Number(r.calls);
        if (r.status_class === '5xx') a.server_errors += Number(r.calls);
        perApi.set(a.api, a);
      }
      const rows = [...perApi.values()].sort((a, b) => b.client_errors + b.server_errors - (a.client_errors + a.server_errors) || b.calls - a.calls);
      body.innerHTML = table(rows, [
        { title: 'API', html: text('api') },
        { title: 'Calls', num: true, html: count('calls') },
        { title: '4xx', num: true, html: count('client_errors') },
        { title: '5xx', num: true, html: count('server_errors') },
        { title: 'Error rate', num: true, html: (r) => esc(pct(Number(r.client_errors) + Number(r.server_errors), Number(r.calls))) },
      ], 'Errors by API');
      return rows.length;
    }),
    renderPanel('refused', async (body) => {
      const rows = (await api.get<{ rows: Row[] }>('/v1/refused', { ...range, limit: 50 })).rows;
      body.innerHTML = rows.length === 0 ? '<p class="empty">No call of yours was refused this period.</p>' : table(rows, [
        { title: 'API', html: text('api') },
        { title: 'Rate limit', num: true, html: count('rate') },
        { title: 'Quota', num: true, html: count('quota') },
        { title: 'Other', num: true, html: (r) => fmt(Number(r.refused) - Number(r.rate) - Number(r.quota)) },
      ], 'Refused calls');
      return rows.length;
    }),
  ]);
  document.body.dataset.loaded = 'true';
}

function schedule(): void {
  if (timer) clearInterval(timer);
  const seconds = Number($<HTMLSelectElement>('refresh').value);
  timer = seconds > 0 ? setInterval(() => void reload(), seconds * 1000) : undefined;
}

$('refresh').addEventListener('change', schedule);
$('range').addEventListener('submit', (event) => {
  event.preventDefault();
  void reload();
});

if (api.hasToken) void reload();
