// Panels of a console page: each is a <section class="card"> whose body a loader fills. A panel
// records its state (loading / ready / error / hidden) and its number of rows in data attributes,
// for people (styles) and for the browser tests alike; one failing panel never stops the others.
import { esc, fmt } from './format.ts';
import type { Row } from './api.ts';

export type PanelLoader = (body: HTMLElement) => Promise<number>;

export async function renderPanel(id: string, load: PanelLoader | undefined): Promise<void> {
  const card = document.getElementById(id);
  if (!card) return;
  if (!load) {
    card.hidden = true;
    card.dataset.state = 'hidden';
    return;
  }
  card.hidden = false;
  card.dataset.state = 'loading';
  const body = card.querySelector<HTMLElement>('.body') ?? card;
  try {
    const rows = await load(body);
    card.dataset.rows = String(rows);
    card.dataset.state = 'ready';
  } catch (error) {
    body.textContent = `Could not load: ${(error as Error).message}`;
    card.dataset.state = 'error';
  }
}

export interface Column {
  title: string;
  num?: boolean;
  /** Cell HTML (escape what comes from data). */
  html: (row: Row) => string;
}

export function table(rows: readonly Row[], columns: readonly Column[], caption: string): string {
  if (rows.length === 0) return '<p class="empty">No data in this range.</p>';
  const head = columns.map((c) => `<th scope="col"${c.num ? ' class="num"' : ''}>${esc(c.title)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map((c) => `<td${c.num ? ' class="num"' : ''}>${c.html(r)}</td>`).join('')}</tr>`).join('');
  return `<div class="table-scroll" tabindex="0" role="region" aria-label="${esc(caption)}"><table><caption class="sr-only">${esc(caption)}</caption><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

export const text = (key: string, fallback = '(none)') => (r: Row): string => esc(r[key] === '' || r[key] === null ? fallback : r[key]);
export const count = (key: string) => (r: Row): string => fmt(r[key]);
