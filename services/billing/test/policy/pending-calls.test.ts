// The calls allowed since the last usage read: counted on top of the usage until the usage holds
// them, never twice.
import { describe, expect, it } from 'vitest';
import { PENDING_WINDOW_MS, PendingCalls, usageWithPending } from '../../src/policy/pending-calls.ts';

const MIN = 60_000;
const T0 = 1_000 * MIN; // a whole minute, well inside a period that starts at 0

describe('PendingCalls', () => {
  it('adds the calls the usage does not hold yet, and only those', () => {
    const pending = new PendingCalls();
    // Read at T0: the window starts 10 minutes back; nothing was allowed here yet.
    pending.rebase(PendingCalls.windowStart(T0, 0));
    for (let i = 0; i < 7; i++) pending.record('acme', T0 + 1_000 * i);
    // The last read (90 calls in the period, none in the window) plus the 7 allowed since.
    expect(usageWithPending(90n, pending.since('acme'), 0n)).toBe(97n);
    // The next read sees 4 of the 7 (and they are in its period total): still 97, not 101.
    pending.rebase(PendingCalls.windowStart(T0 + 5_000, 0));
    expect(usageWithPending(94n, pending.since('acme'), 4n)).toBe(97n);
    // All 7 arrived: nothing is pending any more.
    expect(usageWithPending(97n, pending.since('acme'), 7n)).toBe(97n);
    // Calls that failed upstream (5xx) are not billable: the usage holds fewer than were allowed,
    // which counts them until they leave the window; never fewer than the usage itself.
    expect(usageWithPending(95n, pending.since('acme'), 5n)).toBe(97n);
    expect(usageWithPending(95n, 0, 5n)).toBe(95n);
  });

  it('drops minutes before the window of the latest read, and consumers with none left', () => {
    const pending = new PendingCalls();
    pending.record('acme', T0);
    pending.record('acme', T0 + 3 * MIN);
    pending.record('beta', T0 + 30_000);
    expect(pending.consumers().sort()).toEqual(['acme', 'beta']);
    pending.rebase(PendingCalls.windowStart(T0 + PENDING_WINDOW_MS + 90_000, 0));
    expect([pending.since('acme'), pending.since('beta')]).toEqual([1, 0]);
    expect(pending.consumers()).toEqual(['acme']);
  });

  it('starts the window on a whole minute, never before the period', () => {
    expect(PendingCalls.windowStart(T0 + 59_999, 0)).toBe(T0 - 10 * MIN);
    expect(PendingCalls.windowStart(T0 + 59_999, T0 - 3 * MIN)).toBe(T0 - 3 * MIN);
  });
});
