import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, nextAttemptAt, retryDelayMs } from '../src/webhooks/backoff.ts';
import { eventId } from '../src/webhooks/events.ts';
import { signatureHeader, verifySignature } from '../src/webhooks/signature.ts';

const NOW = new Date('2030-01-02T03:04:05.678Z');
const SECRET = 'whsec_test';

describe('Tollgate-Signature', () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>', () => {
    const body = '{"id":"evt_1"}';
    const t = Math.floor(NOW.getTime() / 1000);
    const expected = createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex');
    expect(signatureHeader(SECRET, body, NOW)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies the exact body with the right secret within the tolerance, and nothing else', () => {
    const body = '{"id":"evt_1","data":{"value":1}}';
    const header = signatureHeader(SECRET, body, NOW);
    expect(verifySignature(SECRET, body, header, NOW)).toBe(true);
    expect(verifySignature(SECRET, body, header, new Date(NOW.getTime() + 299_000))).toBe(true);
    expect(verifySignature(SECRET, body, header, new Date(NOW.getTime() + 301_000))).toBe(false);
    expect(verifySignature('whsec_other', body, header, NOW)).toBe(false);
    expect(verifySignature(SECRET, body.replace('1}', '2}'), header, NOW)).toBe(false);
    expect(verifySignature(SECRET, body, header.replace(/t=\d+/, (t) => `t=${Number(t.slice(2)) + 1}`), NOW)).toBe(false);
    expect(verifySignature(SECRET, body, 'v1=abc', NOW)).toBe(false);
    expect(verifySignature(SECRET, body, '', NOW)).toBe(false);
  });
});

describe('the README verification snippet', () => {
  it('accepts what the outbox signs and refuses a changed body', () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const source = /^function verifyTollgateSignature[\s\S]*?^}$/m.exec(readme)?.[0];
    expect(source).toBeDefined();
    type Verify = (body: string, header: string, secret: string) => boolean;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the snippet is the test's subject
    const verify = new Function('createHmac', 'timingSafeEqual', `${source!}\nreturn verifyTollgateSignature;`)(createHmac, timingSafeEqual) as Verify;
    const body = '{"id":"evt_1","type":"quota.exhausted"}';
    const header = signatureHeader(SECRET, body, new Date());
    expect(verify(body, header, SECRET)).toBe(true);
    expect(verify(`${body} `, header, SECRET)).toBe(false);
    expect(verify(body, header, 'whsec_other')).toBe(false);
    expect(verify(body, signatureHeader(SECRET, body, new Date(Date.now() - 600_000)), SECRET)).toBe(false);
  });
});

describe('event ids', () => {
  it('are one per (type, dedup key)', () => {
    expect(eventId('quota.exhausted', 'c1:2030-01')).toBe(eventId('quota.exhausted', 'c1:2030-01'));
    expect(eventId('quota.exhausted', 'c1:2030-01')).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(eventId('quota.exhausted', 'c1:2030-01')).not.toBe(eventId('quota.exhausted', 'c1:2030-02'));
    expect(eventId('quota.exhausted', 'x')).not.toBe(eventId('invoice.finalized', 'x'));
  });
});

describe('retry schedule', () => {
  const policy = { baseMs: 10_000, maxMs: 3_600_000 };

  it('doubles from the base, capped, with up to half of each wait as jitter', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, 0))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect([1, 2, 3, 4].map((n) => retryDelayMs(n, policy, 0.999_999))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(retryDelayMs(20, policy, 0.5)).toBe(2_700_000);
    expect(retryDelayMs(5_000, policy, 0)).toBe(1_800_000);
    expect(retryDelayMs(5_000, policy, 0.999_999)).toBeLessThanOrEqual(3_600_000);
  });

  it('retries for 72 hours, the last attempt at the window’s end, then gives up', () => {
    const created = NOW;
    let at = created;
    const attempts: Date[] = [at];
    for (let n = 1; ; n += 1) {
      const next = nextAttemptAt(created, n, at, DEFAULT_RETRY_POLICY, 0.5);
      if (next === null) break;
      expect(next.getTime()).toBeGreaterThan(at.getTime());
      attempts.push(next);
      at = next;
    }
    const last = attempts.at(-1)!;
    expect(last.getTime() - created.getTime()).toBe(72 * 3_600_000);
    // At jitter 0.5 the capped wait is 45 minutes: 9 doublings, then about 95 waits, then the end.
    expect(attempts.length).toBeGreaterThan(90);
    expect(attempts.length).toBeLessThan(110);
    expect(attempts[1]!.getTime() - created.getTime()).toBe(7_500);
  });
});
