import { describe, expect, it } from 'vitest';
import { emptyGeo, lookupGeo, warmGeo } from '../../src/enrich/geo.ts';

// Answers from the GeoLite2 snapshot bundled with geoip-lite (data of 2023-11-15). Refreshing the
// data (npm run updatedb in geoip-lite) may move these ranges; then re-verify and update here.
const PUBLIC: Array<[string, string, Partial<ReturnType<typeof lookupGeo>>]> = [
  ['North America: Princeton University', '128.112.128.15', { country: 'US', region: 'NJ', city: 'Princeton', timezone: 'America/New_York', latitude: 40.3699, longitude: -74.6381, eu: false }],
  ['Europe: LRZ Munich', '129.187.255.1', { country: 'DE', region: '', city: '', timezone: 'Europe/Berlin', latitude: 51.2993, longitude: 9.491, eu: true }],
  ['Asia: University of Tokyo', '133.11.0.1', { country: 'JP', region: '', city: '', timezone: 'Asia/Tokyo', latitude: 35.6897, longitude: 139.6895, eu: false }],
  ['South America: Universidade de São Paulo', '143.107.45.1', { country: 'BR', region: 'SP', city: 'São Paulo', timezone: 'America/Sao_Paulo', latitude: -23.6283, longitude: -46.6409, eu: false }],
  ['Oceania: AARNet', '138.44.0.1', { country: 'AU', region: 'NSW', city: 'Sydney', timezone: 'Australia/Sydney', latitude: -33.8715, longitude: 151.2006, eu: false }],
  ['Africa: TENET', '196.21.0.1', { country: 'ZA', region: 'NC', city: 'Kimberley', timezone: 'Africa/Johannesburg', latitude: -28.7332, longitude: 24.766, eu: false }],
  ['IPv6 Europe: Google Frankfurt', '2a00:1450:4001:82a::200e', { country: 'DE', region: 'HE', city: 'Frankfurt am Main', timezone: 'Europe/Berlin', latitude: 50.1188, longitude: 8.6843, eu: true }],
  ['IPv6 Asia: WIDE project', '2001:200::1', { country: 'JP', region: '', city: '', timezone: 'Asia/Tokyo', eu: false }],
];

describe('lookupGeo', () => {
  warmGeo();

  it.each(PUBLIC)('%s (%s)', (_label, ip, expected) => {
    const geo = lookupGeo(ip);
    for (const [key, value] of Object.entries(expected)) {
      if (typeof value === 'number') expect(geo[key as 'latitude']).toBeCloseTo(value, 3);
      else expect(geo[key as keyof typeof geo]).toBe(value);
    }
  });

  it('unwraps IPv4-mapped IPv6 in dotted and hex form', () => {
    const princeton = lookupGeo('128.112.128.15');
    expect(lookupGeo('::ffff:128.112.128.15')).toEqual(princeton);
    expect(lookupGeo('::FFFF:8070:800f')).toEqual(princeton);
    expect(lookupGeo('[::ffff:128.112.128.15]:443')).toEqual(princeton);
  });

  it('accepts decorated addresses: surrounding space, brackets, ports', () => {
    expect(lookupGeo(' 128.112.128.15 ').city).toBe('Princeton');
    expect(lookupGeo('128.112.128.15:51234').city).toBe('Princeton');
    expect(lookupGeo('[2a00:1450:4001:82a::200e]').city).toBe('Frankfurt am Main');
    expect(lookupGeo('2A00:1450:4001:082A:0000:0000:0000:200E').city).toBe('Frankfurt am Main');
  });

  it('gives zeros, not nulls, for a range geoip-lite knows without a location (anycast 1.1.1.1)', () => {
    expect(lookupGeo('1.1.1.1')).toEqual(emptyGeo());
  });

  it.each([
    ['private 10/8', '10.1.2.3'],
    ['private 172.16/12', '172.20.0.1'],
    ['private 192.168/16', '192.168.1.1'],
    ['loopback', '127.0.0.1'],
    ['this network', '0.0.0.0'],
    ['link-local', '169.254.169.254'],
    ['CGNAT', '100.64.0.1'],
    ['CGNAT upper end', '100.127.255.254'],
    ['multicast', '224.0.0.251'],
    ['reserved', '240.0.0.1'],
    ['broadcast', '255.255.255.255'],
    ['TEST-NET-1', '192.0.2.10'],
    ['TEST-NET-2', '198.51.100.10'],
    ['TEST-NET-3', '203.0.113.10'],
    ['benchmarking', '198.18.0.1'],
    ['IPv6 loopback', '::1'],
    ['IPv6 unspecified', '::'],
    ['IPv6 link-local', 'fe80::1'],
    ['IPv6 link-local with zone', 'fe80::1%eth0'],
    ['IPv6 unique local', 'fd12:3456:789a::1'],
    ['IPv6 multicast', 'ff02::1'],
    ['IPv6 documentation', '2001:db8::1'],
    ['IPv6 documentation (RFC 9637)', '3fff::1'],
    ['IPv6 Teredo', '2001:0:4136:e378::1'],
    ['IPv4-mapped private', '::ffff:192.168.0.1'],
    ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
  ])('empty for %s (%s)', (_label, ip) => {
    expect(lookupGeo(ip)).toEqual(emptyGeo());
  });

  it.each([undefined, '', '   ', 'garbage', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4/24', '2001:db8::g', ':::', 'unknown', '8.8.8.8, 1.1.1.1'])(
    'empty, never throws, for invalid input %j',
    (ip) => {
      expect(lookupGeo(ip)).toEqual(emptyGeo());
    },
  );

  it('returns a fresh object each time', () => {
    const a = lookupGeo('garbage');
    a.country = 'XX';
    expect(lookupGeo('garbage').country).toBe('');
  });
});
