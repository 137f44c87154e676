import { describe, expect, it } from 'vitest';
import { isNonPublicIp, parseIp } from '../../src/enrich/ip.ts';

describe('parseIp', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4', 'ipv4'],
    [' 1.2.3.4\t', '1.2.3.4', 'ipv4'],
    ['1.2.3.4:80', '1.2.3.4', 'ipv4'],
    ['::ffff:1.2.3.4', '1.2.3.4', 'ipv4'],
    ['::ffff:0102:0304', '1.2.3.4', 'ipv4'],
    ['[::ffff:1.2.3.4]:443', '1.2.3.4', 'ipv4'],
    ['2001:DB8::0001', '2001:db8::1', 'ipv6'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 'ipv6'],
    ['2001:0:0:1::1', '2001:0:0:1::1', 'ipv6'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0', 'ipv6'],
    ['1:2:3:4:5:6:0:0', '1:2:3:4:5:6::', 'ipv6'],
    ['::', '::', 'ipv6'],
    ['::1', '::1', 'ipv6'],
    ['::1.2.3.4', '::102:304', 'ipv6'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221', 'ipv6'],
    ['fe80::1%eth0', 'fe80::1', 'ipv6'],
    ['[2001:db8::1]', '2001:db8::1', 'ipv6'],
  ])('%j → %s (%s)', (input, address, family) => {
    expect(parseIp(input)).toMatchObject({ address, family });
  });

  it.each([undefined, null, '', ' ', 'x', '1.2.3.4.5', '1.2.3.04', '1.2.3.4:', '1.2.3.4:123456', '[1.2.3.4', '2001:db8::1::1', 'a'.repeat(100)])('rejects %j', (input) => {
    expect(parseIp(input)).toBeUndefined();
  });

  it('reads an unbracketed IPv6 address with a port-like tail as an address (brackets are needed for a port)', () => {
    expect(parseIp('2001:db8::1:80')?.address).toBe('2001:db8::1:80');
  });
});

describe('isNonPublicIp', () => {
  const nonPublic = (ip: string) => isNonPublicIp(parseIp(ip)!);
  it('separates IPv4 and IPv6 rules (BlockList would match IPv4 against ::/3)', () => {
    expect(nonPublic('8.8.8.8')).toBe(false);
    expect(nonPublic('2001:4860:4860::8888')).toBe(false);
    expect(nonPublic('10.0.0.1')).toBe(true);
    expect(nonPublic('fc00::1')).toBe(true);
    expect(nonPublic('2002:c000:221::1')).toBe(true);
  });
});
