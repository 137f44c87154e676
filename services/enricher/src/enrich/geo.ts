// Client geolocation from geoip-lite's bundled GeoLite2 snapshot. The lookup is synchronous and
// in-memory; loading the data files is the expensive part (blocking file reads, ~80-180 ms and
// ~190 MB RSS), so it happens on first use or at startup through warmGeo(), never at import:
// modules that import this one for its types should not pay for the database.
import { createRequire } from 'node:module';
import { isNonPublicIp, parseIp } from './ip.ts';

export interface Geo {
  /** ISO 3166-1 alpha-2, '' when unknown. */
  country: string;
  /** ISO 3166-2 subdivision code without the country part, e.g. 'NJ'; '' when unknown. */
  region: string;
  city: string;
  /** IANA zone, e.g. 'Europe/Berlin'. */
  timezone: string;
  latitude: number;
  longitude: number;
  eu: boolean;
}

// geoip-lite ships no types; this is the part of its CommonJS API we use.
interface GeoipLiteResult {
  country: string;
  region: string;
  eu: string;
  timezone: string;
  city: string;
  ll: [number | null, number | null];
}
interface GeoipLite {
  lookup(ip: string): GeoipLiteResult | null;
}

const require = createRequire(import.meta.url);
let database: GeoipLite | undefined;

function geoip(): GeoipLite {
  database ??= require('geoip-lite') as GeoipLite;
  return database;
}

/** Loads the geo database now, so the first event does not stall on it. */
export function warmGeo(): void {
  geoip();
}

export function emptyGeo(): Geo {
  return { country: '', region: '', city: '', timezone: '', latitude: 0, longitude: 0, eu: false };
}

/**
 * Never throws: an absent, malformed or non-public address (private, loopback, link-local, CGNAT,
 * multicast, reserved, documentation) yields the empty geo. Non-public ranges are filtered here
 * rather than trusted to geoip-lite, which only knows RFC 1918 and would answer for the rest.
 */
export function lookupGeo(ip: string | undefined): Geo {
  const parsed = parseIp(ip);
  if (!parsed || isNonPublicIp(parsed)) return emptyGeo();
  const hit = geoip().lookup(parsed.address);
  // geoip-lite returns a record with blank fields and null coordinates for ranges it has rows
  // for but no location (e.g. anycast 1.1.1.1); the `|| ''` / `?? 0` turn those into unknowns.
  if (!hit) return emptyGeo();
  return {
    country: hit.country || '',
    region: hit.region || '',
    city: hit.city || '',
    timezone: hit.timezone || '',
    latitude: hit.ll[0] ?? 0,
    longitude: hit.ll[1] ?? 0,
    eu: hit.eu === '1',
  };
}
