// Events stamped before the month they arrive in land in a billing period that may be invoiced
// already: accepted (billing bills them as late usage), and counted by a metric.
import { describe, expect, it } from 'vitest';
import { openPeriodStart } from '../src/ingest/app.ts';
import { recordingTapApp } from './app-harness.ts';

const event = (id: string, timestamp: string) => JSON.stringify({ schema: 'api-request/v1', event_id: id, timestamp, gateway: { kind: 'generic' }, method: 'GET', path: '/a', status: 200 });

describe('events for closed periods', () => {
  it('are accepted and flagged by a metric', async () => {
    // Two minutes into a month: the last second of the month before is a closed period's.
    const now = new Date(Date.UTC(2026, 11, 1, 0, 2, 0));
    const harness = recordingTapApp({ now: () => now });
    const answer = await harness.post('ndjson', [event('old', '2026-11-30T23:59:59.999Z'), event('new', '2026-12-01T00:00:00.000Z')].join('\n'), 'application/x-ndjson');
    expect(answer.statusCode).toBe(202);
    expect(answer.json()).toEqual({ accepted: 2, rejected: 0, errors: [] });
    const metrics = (await harness.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/^tollgate_tap_events_for_closed_periods_total\{format="ndjson"[^}]*\} 1$/m);
    await harness.app.close();
  });

  it('the open period starts on the 1st of the arrival month, UTC', () => {
    expect(openPeriodStart(new Date('2028-02-29T23:59:59.999Z'))).toBe(Date.UTC(2028, 1, 1));
    expect(openPeriodStart(new Date('2027-01-01T00:00:00.000Z'))).toBe(Date.UTC(2027, 0, 1));
  });
});
