import { BlockList } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseTrustedProxies, resolveClientIp } from '../../src/enrich/client-ip.ts';

const trusted = parseTrustedProxies('10.0.0.0/8, 192.168.1.7, fd00::/8');

describe('resolveClientIp', () => {
  it('is the peer address when there is no X-Forwarded-For', () => {
    expect(resolveClientIp({ client_ip: '198.51.100.7' }, trusted)).toBe('198.51.100.7');
    expect(resolveClientIp({ client_ip: '10.0.0.5' }, trusted)).toBe('10.0.0.5');
  });

  it('ignores X-Forwarded-For from an untrusted peer (a client can write anything there)', () => {
    expect(resolveClientIp({ client_ip: '198.51.100.7', forwarded_for: ['1.2.3.4'] }, trusted)).toBe('198.51.100.7');
  });

  it('steps through one trusted proxy', () => {
    expect(resolveClientIp({ client_ip: '10.0.0.5', forwarded_for: ['203.0.113.9'] }, trusted)).toBe('203.0.113.9');
  });

  it('steps through a chain of trusted proxies and stops at the first untrusted hop', () => {
    const event = { client_ip: '10.0.0.5', forwarded_for: ['6.6.6.6', '203.0.113.9', '192.168.1.7', '10.1.1.1'] };
    // 10.0.0.5 → 10.1.1.1 (trusted) → 192.168.1.7 (trusted) → 203.0.113.9 (untrusted: the client).
    // 6.6.6.6 is the client's own claim and is not believed.
    expect(resolveClientIp(event, trusted)).toBe('203.0.113.9');
  });

  it('returns the leftmost entry when every hop is trusted', () => {
    expect(resolveClientIp({ client_ip: '10.0.0.5', forwarded_for: ['10.9.9.9', '10.1.1.1'] }, trusted)).toBe('10.9.9.9');
  });

  it('stops at an invalid entry and keeps the last valid hop', () => {
    expect(resolveClientIp({ client_ip: '10.0.0.5', forwarded_for: ['203.0.113.9', 'unknown', '10.1.1.1'] }, trusted)).toBe('10.1.1.1');
    expect(resolveClientIp({ client_ip: '10.0.0.5', forwarded_for: ['203.0.113.9', ''] }, trusted)).toBe('10.0.0.5');
  });

  it('splits comma-joined entries', () => {
    expect(resolveClientIp({ client_ip: '10.0.0.5', forwarded_for: ['6.6.6.6, 203.0.113.9, 10.1.1.1'] }, trusted)).toBe('203.0.113.9');
  });

  it('handles IPv6 and IPv4-mapped hops and returns canonical text', () => {
    expect(resolveClientIp({ client_ip: 'fd00::1', forwarded_for: ['2001:DB8:0:0::7'] }, trusted)).toBe('2001:db8::7');
    expect(resolveClientIp({ client_ip: '::ffff:10.0.0.5', forwarded_for: ['::ffff:203.0.113.9'] }, trusted)).toBe('203.0.113.9');
    expect(resolveClientIp({ client_ip: '[fd00::1]:443', forwarded_for: ['203.0.113.9:5123'] }, trusted)).toBe('203.0.113.9');
  });

  it('is undefined without a valid peer address: nothing anchors the chain', () => {
    expect(resolveClientIp({ forwarded_for: ['203.0.113.9'] }, trusted)).toBeUndefined();
    expect(resolveClientIp({ client_ip: 'garbage', forwarded_for: ['203.0.113.9'] }, trusted)).toBeUndefined();
    expect(resolveClientIp({}, trusted)).toBeUndefined();
  });

  it('accepts a plain CIDR list or a BlockList', () => {
    const list = ['10.0.0.0/8'];
    expect(resolveClientIp({ client_ip: '10.0.0.5', forwarded_for: ['203.0.113.9'] }, list)).toBe('203.0.113.9');
    expect(resolveClientIp({ client_ip: '10.0.0.5', forwarded_for: ['203.0.113.9'] }, list)).toBe('203.0.113.9');
    const block = new BlockList();
    block.addAddress('10.0.0.5');
    expect(resolveClientIp({ client_ip: '10.0.0.5', forwarded_for: ['203.0.113.9'] }, block)).toBe('203.0.113.9');
  });

  it('trusts nothing with an empty list', () => {
    expect(resolveClientIp({ client_ip: '10.0.0.5', forwarded_for: ['203.0.113.9'] }, [])).toBe('10.0.0.5');
    expect(resolveClientIp({ client_ip: '10.0.0.5', forwarded_for: ['203.0.113.9'] }, parseTrustedProxies(''))).toBe('10.0.0.5');
  });
});

describe('parseTrustedProxies', () => {
  it('parses IPs and CIDRs of both families, ignoring blanks and spaces', () => {
    const list = parseTrustedProxies(' 10.0.0.0/8 ,,192.168.1.7, fd00::/8, 2001:db8::1, ::ffff:172.16.0.0/108 ');
    expect(list.check('10.255.0.1', 'ipv4')).toBe(true);
    expect(list.check('11.0.0.1', 'ipv4')).toBe(false);
    expect(list.check('192.168.1.7', 'ipv4')).toBe(true);
    expect(list.check('192.168.1.8', 'ipv4')).toBe(false);
    expect(list.check('fd12::1', 'ipv6')).toBe(true);
    expect(list.check('2001:db8::1', 'ipv6')).toBe(true);
    expect(list.check('172.31.0.1', 'ipv4')).toBe(true);
    expect(list.check('172.32.0.1', 'ipv4')).toBe(false);
  });

  it('accepts host bits after the prefix', () => {
    expect(parseTrustedProxies('10.1.2.3/8').check('10.200.0.1', 'ipv4')).toBe(true);
  });

  it.each([
    ['10.0.0.0/33', 'entry 1 "10.0.0.0/33": IPv4 prefix length must be 0-32'],
    ['fd00::/129', 'IPv6 prefix length must be 0-128'],
    ['10.0.0.0/', 'prefix length must be a number'],
    ['10.0.0.0/8/8', 'prefix length must be a number'],
    ['10.0.0.0/-1', 'prefix length must be a number'],
    ['10.0.0/8', 'not an IP address'],
    ['proxy.internal', 'not an IP address'],
    ['10.0.0.0/8, 300.1.1.1', 'entry 2 "300.1.1.1": not an IP address'],
  ])('rejects %j', (spec, message) => {
    expect(() => parseTrustedProxies(spec)).toThrow(message);
  });

  it('names every bad entry at once', () => {
    expect(() => parseTrustedProxies(['bad', '10.0.0.0/8', '1.1.1.1/40'])).toThrow(/entry 1 "bad".*entry 3 "1.1.1.1\/40"/);
  });
});
