// The world map: Natural Earth countries (world-atlas, 1:110m) through topojson-client, projected
// by d3-geo (Natural Earth projection) into SVG paths, filled by calls (a choropleth on a log
// scale: a few busy countries must not wash the others out). Hovering a country shows its calls,
// errors and revenue; the table beside the map holds the same figures for keyboards and screen
// readers. Countries arrive as ISO 3166 alpha-2 codes; world-atlas keys them by numeric code.
import { geoNaturalEarth1, geoPath } from 'd3-geo';
import { alpha2ToNumeric } from 'i18n-iso-countries';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countries110m from 'world-atlas/countries-110m.json';
import { esc, fmt } from './format.ts';

export interface CountryFigures {
  calls: number;
  errors: number;
  revenue: string;
}

const WIDTH = 960;
const HEIGHT = 500;
/** Light to dark blue; the first step is "no calls". */
const RAMP = ['#e9edf3', '#c6d7f2', '#94b4e6', '#5f8fd6', '#3468c0', '#1d4796'];

interface Shape {
  id: string;
  name: string;
  d: string;
}

let shapes: Shape[] | undefined;

function worldShapes(): Shape[] {
  if (shapes) return shapes;
  const topology = countries110m as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const collection = feature(topology, topology.objects.countries);
  const path = geoPath(geoNaturalEarth1().fitSize([WIDTH, HEIGHT], collection));
  shapes = collection.features.map((f) => ({ id: String(f.id ?? ''), name: f.properties?.name ?? '', d: path(f) ?? '' })).filter((s) => s.d !== '');
  return shapes;
}

/** Draws the map into `body`; returns how many countries with calls it could place. */
export function worldMap(body: HTMLElement, byAlpha2: ReadonlyMap<string, CountryFigures>): number {
  const byNumeric = new Map<string, { code: string; figures: CountryFigures }>();
  for (const [code, figures] of byAlpha2) {
    const numeric = code ? alpha2ToNumeric(code) : undefined;
    if (numeric) byNumeric.set(numeric, { code, figures });
  }
  const max = Math.max(1, ...[...byNumeric.values()].map((v) => v.figures.calls));
  const step = (calls: number): number => (calls <= 0 ? 0 : 1 + Math.min(RAMP.length - 2, Math.floor(((RAMP.length - 1) * Math.log1p(calls)) / Math.log1p(max + 1))));
  let placed = 0;
  const paths = worldShapes()
    .map((s) => {
      const hit = byNumeric.get(s.id);
      if (hit) placed++;
      const calls = hit?.figures.calls ?? 0;
      const data = hit ? ` data-country="${esc(hit.code)}" data-calls="${calls}" data-errors="${hit.figures.errors}" data-revenue="${esc(hit.figures.revenue)}"` : '';
      return `<path class="country" d="${s.d}" fill="${RAMP[step(calls)]}" data-name="${esc(s.name)}"${data}></path>`;
    })
    .join('');
  const legend = `<div class="map-legend" aria-hidden="true"><span>fewer calls</span>${RAMP.slice(1).map((c) => `<i style="background:${c}"></i>`).join('')}<span>more (max ${fmt(max)})</span></div>`;
  body.innerHTML = `<div class="map-wrap"><svg class="world" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="World map of calls by country (${placed} countries with calls)">${paths}</svg><div class="map-tip" role="status" hidden></div></div>${legend}`;
  const tip = body.querySelector<HTMLDivElement>('.map-tip')!;
  const svg = body.querySelector<SVGSVGElement>('svg')!;
  svg.addEventListener('mousemove', (event) => {
    const target = event.target as SVGPathElement;
    if (!(target instanceof SVGPathElement)) return;
    const d = target.dataset;
    const bounds = svg.getBoundingClientRect();
    tip.hidden = false;
    tip.innerHTML = d.calls
      ? `<strong>${esc(d.name)}</strong><br>${fmt(d.calls)} calls · ${fmt(d.errors)} errors<br>revenue ${esc(d.revenue || '0')}`
      : `<strong>${esc(d.name)}</strong><br>no calls`;
    tip.style.left = `${Math.min(event.clientX - bounds.left + 12, bounds.width - 180)}px`;
    tip.style.top = `${event.clientY - bounds.top + 12}px`;
  });
  svg.addEventListener('mouseleave', () => {
    tip.hidden = true;
  });
  return placed;
}
