// Billing's invoice preview (GET /v1/invoice-preview, billing's InvoicePreview) drawn for people:
// usage of the period against the quota and each meter's included units, with the linear forecast
// to the period's end, and the invoice lines. Shared by the consumer page and the operator's
// consumer drill-down.
import { esc, fmt, money } from './format.ts';
import { linearForecast, periodBounds } from './forecast.ts';

export interface InvoicePreview {
  consumer_id: string;
  period: string;
  plan_id: string;
  currency: string;
  lines: { key: string; description: string; meter?: string; api?: string; units: string; included_units_used: string; billable_units: string; amount_minor: string }[];
  total_minor: string;
  lost_revenue_minor: string;
  quota: { limit: number; kind: 'soft' | 'hard'; used: number; remaining: number } | null;
  included_units: { plan: string; meter: string; included_units: string; used: string }[];
  unpriced?: string;
}

function meter(label: string, used: number, limit: number, projected: number, cls: string): string {
  const share = limit > 0 ? Math.min(100, (100 * used) / limit) : 0;
  const projectedShare = limit > 0 ? Math.min(100, (100 * projected) / limit) : 0;
  const verdict = limit <= 0 ? '' : projected > limit ? `<strong class="over">projected ${fmt(projected)}: ${fmt(projected - limit)} over</strong>` : `projected ${fmt(projected)}: within`;
  return `<div class="meter ${cls}" data-used="${used}" data-limit="${limit}" data-projected="${projected}">
    <div class="meter-label"><span>${esc(label)}</span><span>${fmt(used)} of ${fmt(limit)} (${share.toFixed(0)} %)</span></div>
    <div class="meter-track" role="meter" aria-label="${esc(label)}" aria-valuemin="0" aria-valuemax="${limit}" aria-valuenow="${used}" aria-valuetext="${fmt(used)} of ${fmt(limit)}">
      <div class="meter-fill" style="width:${share}%"></div><div class="meter-forecast" style="left:${projectedShare}%"></div>
    </div>
    <div class="meter-note">${verdict}</div>
  </div>`;
}

/** Quota and included units used this period, each with its forecast at `now`; returns the number of meters drawn. */
export function quotaHtml(body: HTMLElement, preview: InvoicePreview, now: Date): number {
  const period = periodBounds(preview.period);
  const parts: string[] = [];
  const quotaUsed = preview.quota?.used ?? preview.included_units.reduce((s, i) => s + Number(i.used), 0);
  const forecast = linearForecast(quotaUsed, period, now);
  parts.push(
    `<p class="forecast" data-projected="${forecast.projected}">Period ${esc(preview.period)} (plan ${esc(preview.plan_id)}), ${(forecast.elapsed * 100).toFixed(0)} % elapsed: ${fmt(quotaUsed)} billable units so far, <strong>${fmt(forecast.projected)}</strong> forecast by ${esc(period.end.toISOString().slice(0, 10))} at this pace.</p>`,
  );
  if (preview.quota) parts.push(meter(`Quota (${preview.quota.kind})`, preview.quota.used, preview.quota.limit, forecast.projected, 'quota'));
  for (const inc of preview.included_units) {
    const used = Number(inc.used);
    const limit = Number(inc.included_units);
    if (limit > 0) parts.push(meter(`Included ${inc.meter} (${inc.plan})`, used, limit, linearForecast(used, period, now).projected, 'included'));
  }
  if (!preview.quota && preview.included_units.every((i) => Number(i.included_units) === 0)) parts.push('<p class="empty">This plan has no quota and no included units.</p>');
  body.innerHTML = parts.join('');
  return body.querySelectorAll('.meter').length;
}

/** The invoice a billing run would make now: lines, total, revenue lost; returns the number of lines. */
export function invoiceHtml(body: HTMLElement, preview: InvoicePreview): number {
  const rows = preview.lines
    .map((l) => `<tr><td>${esc(l.description)}${l.api ? ` <span class="muted">(${esc(l.api)})</span>` : ''}</td><td class="num">${fmt(l.units)}</td><td class="num">${fmt(l.included_units_used)}</td><td class="num">${esc(money(l.amount_minor, preview.currency))}</td></tr>`)
    .join('');
  body.innerHTML = `<div class="table-scroll" tabindex="0" role="region" aria-label="Invoice lines"><table><caption class="sr-only">Invoice lines</caption><thead><tr><th scope="col">Line</th><th scope="col" class="num">Units</th><th scope="col" class="num">Included</th><th scope="col" class="num">Amount</th></tr></thead>
    <tbody>${rows || '<tr><td colspan="4" class="empty">No billable usage yet.</td></tr>'}</tbody>
    <tfoot><tr><th scope="row" colspan="3">Total ${esc(preview.period)}</th><td class="num total" data-total-minor="${esc(preview.total_minor)}">${esc(money(preview.total_minor, preview.currency))}</td></tr>
    <tr><th scope="row" colspan="3">Revenue lost to failed calls</th><td class="num" data-lost-minor="${esc(preview.lost_revenue_minor)}">${esc(money(preview.lost_revenue_minor, preview.currency))}</td></tr></tfoot></table></div>${preview.unpriced ? `<p class="empty">${esc(preview.unpriced)}</p>` : ''}`;
  return preview.lines.length;
}
