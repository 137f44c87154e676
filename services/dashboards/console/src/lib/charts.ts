// Charts of the console, drawn by ECharts (only the parts used are bundled) with its SVG renderer:
// real axes with ticks and labels, tooltips, legends, and an ARIA description ECharts writes from
// the data. One chart per element, redrawn in place when the panel reloads.
import { BarChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { init, use, type ECharts } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

use([BarChart, LineChart, GridComponent, TooltipComponent, LegendComponent, AriaComponent, SVGRenderer]);

/** Status classes, one colour each (also in style.css for legends and KPI tiles). */
export const COLORS = { calls: '#2f5fc4', s2xx: '#2e8b57', sother: '#6b7385', s4xx: '#b7791f', s5xx: '#c53030', revenue: '#2e8b57', lost: '#c53030', p50: '#2f5fc4', p95: '#b7791f', p99: '#c53030' };

const charts = new Map<HTMLElement, ECharts>();
addEventListener('resize', () => {
  for (const chart of charts.values()) chart.resize();
});

function chartIn(body: HTMLElement, label: string, height: number): ECharts {
  let holder = body.querySelector<HTMLDivElement>(':scope > .chart');
  if (!holder) {
    body.innerHTML = '';
    holder = document.createElement('div');
    holder.className = 'chart';
    body.append(holder);
  }
  holder.style.height = `${height}px`;
  holder.setAttribute('role', 'img');
  holder.setAttribute('aria-label', label);
  let chart = charts.get(holder);
  if (!chart) {
    chart = init(holder, undefined, { renderer: 'svg' });
    charts.set(holder, chart);
  }
  return chart;
}

const BASE = {
  animation: false,
  aria: { enabled: true },
  textStyle: { fontFamily: 'system-ui, sans-serif', color: '#3d4453' },
  grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
  legend: { top: 0, type: 'scroll' as const },
  tooltip: { trigger: 'axis' as const, confine: true },
};

export interface TimeSeries {
  name: string;
  color: string;
  points: [string, number][];
}

/** Series over a time axis: lines, or stacked columns when `stacked`. */
export function timeChart(body: HTMLElement, label: string, series: readonly TimeSeries[], o: { stacked?: boolean; height?: number } = {}): void {
  chartIn(body, label, o.height ?? 260).setOption(
    {
      ...BASE,
      xAxis: { type: 'time', axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', minInterval: 1 },
      series: series.map((s) => ({
        name: s.name,
        type: o.stacked ? 'bar' : 'line',
        stack: o.stacked ? 'total' : undefined,
        showSymbol: false,
        color: s.color,
        data: s.points,
      })),
    },
    { notMerge: true },
  );
}

export interface BarSeries {
  name: string;
  color: string;
  values: number[];
}

/** Horizontal bars, one row per category (largest first, as given). */
export function barChart(body: HTMLElement, label: string, categories: readonly string[], series: readonly BarSeries[], o: { unit?: string } = {}): void {
  chartIn(body, label, Math.max(140, 56 + categories.length * 26 * Math.max(1, series.length * 0.75))).setOption(
    {
      ...BASE,
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, confine: true, ...(o.unit ? { valueFormatter: (v: number) => `${v} ${o.unit}` } : {}) },
      xAxis: { type: 'value', name: o.unit ?? '', nameLocation: 'end' },
      yAxis: { type: 'category', inverse: true, data: categories, axisLabel: { width: 110, overflow: 'truncate' } },
      series: series.map((s) => ({ name: s.name, type: 'bar', color: s.color, data: s.values })),
    },
    { notMerge: true },
  );
}
