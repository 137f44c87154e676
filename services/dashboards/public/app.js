// The built-in dashboard: plain JS, no build step, no third-party code. Charts are SVG drawn here
// from the query API's rows. The token comes from the URL fragment (#token=…), which browsers never
// send to the server, and goes only into the Authorization header of API calls.
const SPANS = { '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
const MINUTE = 60e3;
const $ = (id) => document.getElementById(id);
const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const fmt = (n) => Number(n).toLocaleString('en-US');

let token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';

function currentRange() {
  const preset = $('preset').value;
  let from, to;
  if (preset === 'custom') {
    from = Date.parse(`${$('custom-from').value}:00Z`);
    to = Date.parse(`${$('custom-to').value}:00Z`);
    if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) throw new Error('pick a custom range: from before to');
  } else {
    // Whole minutes, so the API can answer from the rollups.
    to = Math.ceil(Date.now() / MINUTE) * MINUTE;
    from = to - SPANS[preset];
  }
  const span = to - from;
  const interval = span <= 3 * 3600e3 ? 'minute' : span <= 8 * 86400e3 ? 'hour' : 'day';
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), interval };
}

async function api(name, params) {
  const query = new URLSearchParams(params).toString();
  const response = await fetch(`/v1/queries/${name}?${query}`, { headers: { authorization: `Bearer ${token}` } });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) showLogin(body.message ?? 'token refused');
  if (!response.ok) throw new Error(body.message ?? `HTTP ${response.status}`);
  return body.rows;
}

function svg(width, height, content, attrs = '') {
  return `<svg viewBox="0 0 ${width} ${height}" role="img" ${attrs}>${content}</svg>`;
}

function columnChart(rows, series, { height = 180, label = (r) => r.bucket } = {}) {
  const width = 900;
  const max = Math.max(1, ...rows.map((r) => series.reduce((s, k) => s + Number(r[k.key]), 0)));
  const step = width / Math.max(rows.length, 1);
  const bar = Math.max(1, step * 0.8);
  let out = '';
  rows.forEach((row, i) => {
    let y = height - 20;
    for (const s of series) {
      const h = ((height - 30) * Number(row[s.key])) / max;
      y -= h;
      out += `<rect class="bar ${s.cls}" x="${(i * step).toFixed(1)}" y="${y.toFixed(1)}" width="${bar.toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(label(row))}: ${s.name} ${fmt(row[s.key])}</title></rect>`;
    }
  });
  const first = rows[0] ? esc(label(rows[0])) : '';
  const last = rows.length > 1 ? esc(label(rows[rows.length - 1])) : '';
  out += `<text x="0" y="${height - 4}">${first}</text><text x="${width}" y="${height - 4}" text-anchor="end">${last}</text><text x="0" y="10">${fmt(max)}</text>`;
  return svg(width, height, out, `data-bars="${rows.length}"`);
}

function hbars(rows, key, labelKey) {
  const width = 420;
  const rowH = 22;
  const max = Math.max(1, ...rows.map((r) => Number(r[key])));
  const content = rows
    .map((r, i) => {
      const w = ((width - 170) * Number(r[key])) / max;
      return `<text x="0" y="${i * rowH + 15}">${esc(r[labelKey] || '(none)')}</text><rect class="bar" data-api="${esc(r[labelKey])}" x="100" y="${i * rowH + 4}" width="${w.toFixed(1)}" height="${rowH - 8}"></rect><text x="${(105 + w).toFixed(1)}" y="${i * rowH + 15}">${fmt(r[key])}</text>`;
    })
    .join('');
  return svg(width, Math.max(rowH, rows.length * rowH), content, `data-bars="${rows.length}"`);
}

function table(rows, columns) {
  const head = columns.map((c) => `<th class="${c.num ? 'num' : ''}">${esc(c.title)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td class="${c.num ? 'num' : ''}">${esc(c.value(r))}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const legend = (items) => `<div class="legend">${items.map(([cls, name]) => `<span><i class="${cls}"></i>${esc(name)}</span>`).join('')}</div>`;
const empty = (rows) => (rows.length === 0 ? '<p class="empty">No data in this range.</p>' : '');
const hhmm = (iso) => iso.replace('T', ' ').replace(/:00(\.000)?Z$/, '');

const CHARTS = {
  async calls(range) {
    const rows = await api('calls_over_time', range);
    const total = rows.reduce((s, r) => s + Number(r.calls), 0);
    $('total-calls').textContent = `${fmt(total)} calls`;
    $('total-calls').dataset.value = String(total);
    return [rows.length, empty(rows) + columnChart(rows, [{ key: 'calls', name: 'calls', cls: '' }], { label: (r) => hhmm(r.bucket) })];
  },
  async 'top-apis'(range) {
    const rows = await api('top_apis', { from: range.from, to: range.to, limit: 10 });
    return [rows.length, empty(rows) + hbars(rows, 'calls', 'api')];
  },
  async status(range) {
    const rows = await api('status_over_time', range);
    const byBucket = new Map();
    for (const r of rows) {
      const b = byBucket.get(r.bucket) ?? { bucket: r.bucket, success: 0, client_error: 0, server_error: 0, other: 0 };
      for (const k of ['success', 'client_error', 'server_error', 'other']) b[k] += Number(r[k]);
      byBucket.set(r.bucket, b);
    }
    const series = [
      { key: 'success', name: '2xx', cls: 's2xx' },
      { key: 'other', name: '1xx/3xx', cls: 'sother' },
      { key: 'client_error', name: '4xx', cls: 's4xx' },
      { key: 'server_error', name: '5xx', cls: 's5xx' },
    ];
    const totals = series.map((s) => [s.cls, `${s.name}: ${fmt([...byBucket.values()].reduce((n, b) => n + b[s.key], 0))}`]);
    return [rows.length, empty(rows) + legend(totals) + columnChart([...byBucket.values()], series, { height: 150, label: (r) => hhmm(r.bucket) })];
  },
  async countries(range) {
    const rows = await api('calls_by_country', { from: range.from, to: range.to, limit: 20 });
    const cols = [
      { title: 'Country', value: (r) => r.country || '(unknown)' },
      { title: 'Calls', num: true, value: (r) => fmt(r.calls) },
      { title: '4xx', num: true, value: (r) => fmt(r.client_errors) },
      { title: '5xx', num: true, value: (r) => fmt(r.server_errors) },
    ];
    return [rows.length, empty(rows) + table(rows, cols)];
  },
  async map(range) {
    const rows = await api('calls_by_city', { from: range.from, to: range.to, limit: 200 });
    const max = Math.max(1, ...rows.map((r) => Number(r.calls)));
    // Equirectangular: x = lon, y = -lat; a graticule instead of coastlines (no external data).
    let grid = '<rect class="land" x="0" y="0" width="360" height="180"></rect>';
    for (let lon = 30; lon < 360; lon += 30) grid += `<line class="grid" x1="${lon}" y1="0" x2="${lon}" y2="180"></line>`;
    for (let lat = 30; lat < 180; lat += 30) grid += `<line class="grid" x1="0" y1="${lat}" x2="360" y2="${lat}"></line>`;
    const dots = rows
      .map((r) => `<circle class="dot" cx="${(Number(r.longitude) + 180).toFixed(2)}" cy="${(90 - Number(r.latitude)).toFixed(2)}" r="${(1.5 + 6 * Math.sqrt(Number(r.calls) / max)).toFixed(2)}"><title>${esc(r.city)}, ${esc(r.country)}: ${fmt(r.calls)}</title></circle>`)
      .join('');
    return [rows.length, svg(360, 180, grid + dots, `data-dots="${rows.length}"`)];
  },
  async refused(range) {
    const rows = await api('refused_by_policy', { from: range.from, to: range.to, limit: 20 });
    const decisions = ['quota', 'rate', 'not_entitled', 'suspended', 'blocked', 'unknown_consumer'];
    // Why, in words: the decisions each row holds, most frequent first.
    const why = (r) => decisions.filter((d) => Number(r[d]) > 0).sort((a, b) => Number(r[b]) - Number(r[a])).map((d) => `${d.replaceAll('_', ' ')} ${fmt(r[d])}`).join(', ');
    const cols = [
      { title: 'Consumer', value: (r) => r.consumer_id || '(unknown)' },
      { title: 'API', value: (r) => r.api || '(none)' },
      { title: 'Refused', num: true, value: (r) => fmt(r.refused) },
      { title: 'Why', value: why },
    ];
    return [rows.length, (rows.length === 0 ? '<p class="empty">No call was refused by policy in this range.</p>' : '') + table(rows, cols)];
  },
  async revenue(range) {
    const [rows, summary] = await Promise.all([api('revenue_by_api', { from: range.from, to: range.to, limit: 20 }), api('revenue_summary', { from: range.from, to: range.to })]);
    const totals = summary
      .filter((s) => s.currency !== '')
      .map((s) => `<p class="summary" data-currency="${esc(s.currency)}">Total ${esc(s.revenue)} (usage ${esc(s.usage_revenue)} + base fees ${esc(s.base_fee)}), lost to failed calls ${esc(s.lost_revenue)}</p>`)
      .join('');
    const unpriced = summary.find((s) => s.currency === '');
    const note = unpriced ? `<p class="empty">Unbilled usage: ${fmt(unpriced.unpriced_calls)} calls without a known plan (consumer not in the registry, or its plan not in the plans file) are not priced.</p>` : '';
    const cols = [
      { title: 'API', value: (r) => r.api },
      { title: 'Revenue', num: true, value: (r) => r.revenue },
      { title: 'Lost', num: true, value: (r) => r.lost_revenue },
    ];
    return [rows.length, empty(rows) + totals + table(rows, cols) + note];
  },
  async latency(range) {
    const rows = await api('latency_by_api', { from: range.from, to: range.to, limit: 12 });
    const width = 420;
    const groupH = 36;
    const max = Math.max(1, ...rows.map((r) => Number(r.p99_ms) || 0));
    const content = rows
      .map((r, i) =>
        ['p50', 'p95', 'p99']
          .map((p, j) => {
            const v = Number(r[`${p}_ms`]) || 0;
            const w = ((width - 170) * v) / max;
            return `<rect class="${p}" x="100" y="${i * groupH + j * 10 + 2}" width="${w.toFixed(1)}" height="8"><title>${esc(r.api)} ${p} ${v} ms</title></rect><text x="${(105 + w).toFixed(1)}" y="${i * groupH + j * 10 + 10}">${v}</text>`;
          })
          .join('') + `<text x="0" y="${i * groupH + 18}">${esc(r.api)}</text>`,
      )
      .join('');
    return [rows.length, empty(rows) + legend([['p50', 'p50'], ['p95', 'p95'], ['p99', 'p99']]) + svg(width, Math.max(groupH, rows.length * groupH), content, `data-bars="${rows.length}"`)];
  },
};

async function render(id, range) {
  const card = $(id);
  card.dataset.state = 'loading';
  try {
    const [count, html] = await CHARTS[id](range);
    card.querySelector('.body').innerHTML = html;
    card.dataset.rows = String(count);
    card.dataset.state = 'ready';
  } catch (error) {
    card.querySelector('.body').textContent = `Could not load: ${error.message}`;
    card.dataset.state = 'error';
  }
}

let generation = 0;
async function reload() {
  if (!token) return showLogin();
  let range;
  try {
    range = currentRange();
  } catch (error) {
    $('range-label').textContent = error.message;
    return;
  }
  const mine = ++generation;
  document.body.dataset.loaded = 'false';
  $('range-label').textContent = `${hhmm(range.from)} – ${hhmm(range.to)} UTC, by ${range.interval}`;
  await Promise.all(Object.keys(CHARTS).map((id) => render(id, range)));
  if (mine === generation) document.body.dataset.loaded = 'true';
}

function showLogin(message) {
  $('login').hidden = false;
  if (message) $('login').dataset.message = message;
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token-input').value.trim();
  history.replaceState(null, '', `#token=${encodeURIComponent(token)}`);
  $('login').hidden = true;
  void reload();
});
$('preset').addEventListener('change', () => {
  const custom = $('preset').value === 'custom';
  $('custom-from').hidden = !custom;
  $('custom-to').hidden = !custom;
  if (custom && !$('custom-from').value) {
    const now = Math.floor(Date.now() / MINUTE) * MINUTE;
    $('custom-to').value = new Date(now).toISOString().slice(0, 16);
    $('custom-from').value = new Date(now - 86400e3).toISOString().slice(0, 16);
  }
  if (!custom) void reload();
});
$('range').addEventListener('submit', (event) => {
  event.preventDefault();
  void reload();
});
void reload();
