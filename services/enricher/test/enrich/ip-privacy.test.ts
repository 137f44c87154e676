import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IP_PRIVACY, maskIp, type IpPrivacyPolicy } from '../../src/enrich/ip-privacy.ts';

const truncate = (ipv4Prefix: number, ipv6Prefix: number): IpPrivacyPolicy => ({ mode: 'truncate', ipv4Prefix, ipv6Prefix });
const key = Buffer.from('0123456789abcdef0123456789abcdef');
const hash: IpPrivacyPolicy = { mode: 'hash', key };

describe('maskIp truncate', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0/24'],
    ['::ffff:203.0.113.77', '203.0.113.0/24'],
    ['203.0.113.77:4431', '203.0.113.0/24'],
    ['2001:db8:1234:5678:9abc::1', '2001:db8:1234::/48'],
    ['2001:DB8:1234:0000:0000:0000:0000:0001', '2001:db8:1234::/48'],
    ['[2001:db8:1234:ffff::1]:443', '2001:db8:1234::/48'],
    ['fe80::1%eth0', 'fe80::/48'],
    ['::1', '::/48'],
  ])('default policy: %s → %s', (ip, expected) => {
    expect(maskIp(ip, DEFAULT_IP_PRIVACY)).toBe(expected);
  });

  it('honours configured prefixes, including ones off byte boundaries', () => {
    expect(maskIp('203.0.113.77', truncate(16, 48))).toBe('203.0.0.0/16');
    expect(maskIp('203.0.113.77', truncate(20, 48))).toBe('203.0.112.0/20');
    expect(maskIp('203.0.113.77', truncate(0, 48))).toBe('0.0.0.0/0');
    expect(maskIp('2001:db8:1234:5678::1', truncate(24, 56))).toBe('2001:db8:1234:5600::/56');
    expect(maskIp('2001:db8:1234:5678::1', truncate(24, 64))).toBe('2001:db8:1234:5678::/64');
    expect(maskIp('2001:db8:1234:5678::1', truncate(24, 33))).toBe('2001:db8::/33');
    expect(maskIp('2001:db8:ffff::1', truncate(24, 33))).toBe('2001:db8:8000::/33');
    expect(maskIp('2001:db8::1', truncate(24, 0))).toBe('::/0');
  });

  it('compresses only the longest zero run, and the first of equal runs (RFC 5952)', () => {
    expect(maskIp('2001:0:0:1:0:0:0:1', truncate(24, 64))).toBe('2001:0:0:1::/64');
    expect(maskIp('1:0:0:2:3::', truncate(24, 64))).toBe('1:0:0:2::/64');
    expect(maskIp('1:2:3:4:5:6:7:8', truncate(24, 64))).toBe('1:2:3:4::/64');
  });

  it.each([undefined, '', 'garbage', '10.0.0.256'])('gives empty text for %j', (ip) => {
    expect(maskIp(ip, DEFAULT_IP_PRIVACY)).toBe('');
    expect(maskIp(ip, hash)).toBe('');
  });

  it('refuses prefixes that would store (nearly) raw addresses', () => {
    expect(() => maskIp('203.0.113.77', truncate(32, 48))).toThrow('ipv4Prefix must be an integer 0-24');
    expect(() => maskIp('203.0.113.77', truncate(25, 48))).toThrow('ipv4Prefix');
    expect(() => maskIp('2001:db8::1', truncate(24, 128))).toThrow('ipv6Prefix must be an integer 0-64');
    expect(() => maskIp('2001:db8::1', truncate(24, 47.5))).toThrow('ipv6Prefix');
    expect(() => maskIp('2001:db8::1', truncate(-1, 48))).toThrow('ipv4Prefix');
  });

  it('has no pass-through mode', () => {
    expect(() => maskIp('203.0.113.77', { mode: 'none' } as unknown as IpPrivacyPolicy)).toThrow("mode must be 'truncate' or 'hash'");
  });
});

describe('maskIp hash', () => {
  it('is HMAC-SHA256 of the canonical address, 32 hex chars', () => {
    const expected = createHmac('sha256', key).update('203.0.113.77').digest('hex').slice(0, 32);
    expect(maskIp('203.0.113.77', hash)).toBe(expected);
    expect(expected).toMatch(/^[0-9a-f]{32}$/);
  });

  it('hashes every spelling of one address alike', () => {
    expect(maskIp('::ffff:203.0.113.77', hash)).toBe(maskIp('203.0.113.77', hash));
    expect(maskIp('2001:DB8:0:0::1', hash)).toBe(maskIp('2001:db8::1', hash));
    expect(maskIp('[2001:db8::1]:443', hash)).toBe(maskIp('2001:db8::1', hash));
  });

  it('differs per address and per key', () => {
    expect(maskIp('203.0.113.77', hash)).not.toBe(maskIp('203.0.113.78', hash));
    expect(maskIp('203.0.113.77', { mode: 'hash', key: Buffer.from('another key, 16+ bytes long') })).not.toBe(maskIp('203.0.113.77', hash));
  });

  it('refuses short keys', () => {
    expect(() => maskIp('203.0.113.77', { mode: 'hash', key: Buffer.from('short') })).toThrow('at least 16 bytes');
  });
});
