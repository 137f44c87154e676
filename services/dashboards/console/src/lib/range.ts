// The console's view state, kept in the URL fragment so that a view can be linked and bookmarked:
// the time range (a preset or a custom UTC range), the auto-refresh period and the drill-down
// filter (one API or one consumer). Pure functions of the fragment and the clock.

export const PRESETS = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type Preset = keyof typeof PRESETS | 'month' | 'custom';
const MINUTE = 60_000;

export interface ViewState {
  preset: Preset;
  /** Custom range bounds, `YYYY-MM-DDTHH:MM` in UTC. */
  from?: string;
  to?: string;
  api?: string;
  consumer?: string;
  /** Auto-refresh period in seconds; 0 = off. */
  refresh: number;
}

export interface Range {
  from: string;
  to: string;
  interval: 'minute' | 'hour' | 'day';
}

export function readState(fragment: string): ViewState {
  const p = new URLSearchParams(fragment.replace(/^#/, ''));
  const preset = (p.get('range') ?? '24h') as Preset;
  const state: ViewState = { preset: preset in PRESETS || preset === 'month' || preset === 'custom' ? preset : '24h', refresh: Number(p.get('refresh') ?? 0) || 0 };
  for (const key of ['from', 'to', 'api', 'consumer'] as const) {
    const value = p.get(key);
    if (value) state[key] = value;
  }
  return state;
}

export function writeState(state: ViewState): string {
  const p = new URLSearchParams();
  p.set('range', state.preset);
  if (state.preset === 'custom') {
    if (state.from) p.set('from', state.from);
    if (state.to) p.set('to', state.to);
  }
  if (state.api) p.set('api', state.api);
  if (state.consumer) p.set('consumer', state.consumer);
  if (state.refresh > 0) p.set('refresh', String(state.refresh));
  return `#${p.toString()}`;
}

/** The range a state stands for at `now`, in whole minutes so the API can answer from rollups. */
export function resolveRange(state: ViewState, now: number): Range {
  let from: number;
  let to: number;
  if (state.preset === 'custom') {
    from = Date.parse(`${state.from ?? ''}:00Z`);
    to = Date.parse(`${state.to ?? ''}:00Z`);
    if (!Number.isFinite(from) || !Number.isFinite(to) || from >= to) throw new Error('pick a custom range: from before to');
  } else {
    to = Math.ceil(now / MINUTE) * MINUTE;
    if (state.preset === 'month') {
      const d = new Date(now);
      from = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    } else {
      from = to - PRESETS[state.preset];
    }
  }
  const span = to - from;
  const interval = span <= 3 * 3_600_000 ? 'minute' : span <= 8 * 86_400_000 ? 'hour' : 'day';
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), interval };
}

const STEP_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/**
 * Every bucket start of the range at its interval (UTC), so a time series shows empty buckets as
 * zero rather than a line drawn across them. ISO text without milliseconds, as the API's buckets
 * are compared by instant.
 */
export function bucketsOf(range: Range): number[] {
  const step = STEP_MS[range.interval];
  const out: number[] = [];
  for (let t = Math.floor(Date.parse(range.from) / step) * step; t < Date.parse(range.to); t += step) out.push(t);
  return out;
}
