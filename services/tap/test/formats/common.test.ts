import { describe, expect, it } from 'vitest';
import { clientIp, eventId, forwardedFor, splitTarget, timestamp } from '../../src/ingest/formats/common.ts';
import { context } from './helpers.ts';

describe('timestamp', () => {
  it.each([
    [1726783839538, '2024-09-19T22:10:39.538Z'],
    ['1782465047.123', '2026-06-26T09:10:47.123Z'],
    [1782465047.1239, '2026-06-26T09:10:47.123Z'],
    ['2018-04-05T17:31:00Z', '2018-04-05T17:31:00.000Z'],
    ['2020-09-23T19:05:05-04:00', '2020-09-23T23:05:05.000Z'],
    ['2020-09-23T19:05:05-0400', '2020-09-23T23:05:05.000Z'],
    ['10/Oct/2000:13:55:36 -0700', '2000-10-10T20:55:36.000Z'],
    ['26/Aug/2026:09:09:07 +0000', '2026-08-26T09:09:07.000Z'],
  ])('%s → %s', (input, expected) => {
    expect(timestamp(input)).toBe(expected);
  });

  it.each([['2024-02-31T00:00:00Z'], ['2020-01-01T00:00:00'], ['yesterday'], [''], [-1], [{}], ['31/Feb/2024:00:00:00 +0000'], [1e300], ['1999-12-31T23:59:59Z']])(
    'rejects %s',
    (input) => {
      expect(timestamp(input)).toBeUndefined();
    },
  );
});

describe('addresses and paths', () => {
  it('reads client IPs with ports and refuses hostnames', () => {
    expect(clientIp('10.44.1.23:46520')).toBe('10.44.1.23');
    expect(clientIp('[2001:db8::5]:41000')).toBe('2001:db8::5');
    expect(clientIp('::1')).toBe('::1');
    expect(clientIp('example.com')).toBeUndefined();
    expect(clientIp('999.1.1.1')).toBeUndefined();
  });

  it('splits X-Forwarded-For, capping at 32 entries', () => {
    expect(forwardedFor(' 203.0.113.7 ,10.0.0.2,, -')).toEqual(['203.0.113.7', '10.0.0.2']);
    expect(forwardedFor(Array.from({ length: 40 }, (_, i) => `10.0.0.${i}`).join(','))).toHaveLength(32);
    expect(forwardedFor('')).toBeUndefined();
  });

  it('separates path and query, including absolute URLs', () => {
    expect(splitTarget('/a/b?x=1#f')).toEqual({ path: '/a/b', query: 'x=1' });
    expect(splitTarget('http://h:8000/get?x')).toEqual({ path: '/get', query: 'x' });
    expect(splitTarget('https://h')).toEqual({ path: '/', query: '' });
    expect(splitTarget('?only=query')).toBeUndefined();
  });
});

describe('eventId', () => {
  it('prefixes the kind, falls back to newId, and hashes ids that would exceed 128 characters', () => {
    expect(eventId('kong', ['abc'], context())).toBe('kong:abc');
    expect(eventId('kong', [undefined], context())).toBe('gen-1');
    const long = eventId('apisix', ['x'.repeat(200), '1'], context());
    expect(long).toMatch(/^apisix:sha256:[0-9a-f]{64}$/);
    expect(eventId('apisix', ['x'.repeat(200), '1'], context())).toBe(long);
  });
});
