// IP address parsing shared by geo, client-ip and ip-privacy. Every address that reaches a
// lookup, a trust check or a hash goes through parseIp first, so that the many spellings of one
// address ('::ffff:1.2.3.4', '1.2.3.4', '[2001:DB8::1]', '2001:db8:0:0::1') behave as one.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 'ipv4' | 'ipv6';

export interface ParsedIp {
  /** Canonical text: dotted quad, or RFC 5952 lower-case compressed IPv6. */
  address: string;
  family: IpFamily;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
}

// Gateways and proxies write addresses with decorations: '[v6]', '[v6]:port', 'v4:port', and
// link-local zone ids ('fe80::1%eth0'). None of them changes which host is meant.
const BRACKETED = /^\[([^\]]+)\](?::\d{1,5})?$/;
const V4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;

export function parseIp(input: string | undefined | null): ParsedIp | undefined {
  if (typeof input !== 'string') return undefined;
  let text = input.trim();
  if (text === '' || text.length > 64) return undefined;
  const bracketed = BRACKETED.exec(text);
  if (bracketed) text = bracketed[1] ?? '';
  else {
    const withPort = V4_WITH_PORT.exec(text);
    if (withPort) text = withPort[1] ?? '';
  }
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);

  if (isIPv4(text)) {
    const bytes = Uint8Array.from(text.split('.').map(Number));
    return { address: formatIpv4(bytes), family: 'ipv4', bytes };
  }
  if (!isIPv6(text)) return undefined;
  const bytes = ipv6Bytes(text);
  if (!bytes) return undefined;
  // An IPv4-mapped address is the IPv4 host seen through a dual-stack socket: unwrap it so it
  // geolocates, matches IPv4 proxy rules and masks with the IPv4 prefix.
  if (isV4Mapped(bytes)) {
    const v4 = bytes.slice(12);
    return { address: formatIpv4(v4), family: 'ipv4', bytes: v4 };
  }
  return { address: formatIpv6(bytes), family: 'ipv6', bytes };
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Expands already-validated IPv6 text (possibly with a trailing dotted quad) to 16 bytes. */
function ipv6Bytes(text: string): Uint8Array | undefined {
  let head = text;
  const tailWords: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const maybeV4 = text.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const q = maybeV4.split('.').map(Number);
    tailWords.push(((q[0] ?? 0) << 8) | (q[1] ?? 0), ((q[2] ?? 0) << 8) | (q[3] ?? 0));
    // Keep the colon so that '::1.2.3.4' still splits around '::'.
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((h) => parseInt(h, 16)));
  const gap = head.indexOf('::');
  let words: number[];
  if (gap >= 0) {
    const left = parse(head.slice(0, gap));
    const right = [...parse(head.slice(gap + 2)), ...tailWords];
    const fill = 8 - left.length - right.length;
    if (fill < 0) return undefined;
    words = [...left, ...new Array<number>(fill).fill(0), ...right];
  } else {
    words = [...parse(head), ...tailWords];
  }
  if (words.length !== 8) return undefined;
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => {
    bytes[i * 2] = w >> 8;
    bytes[i * 2 + 1] = w & 0xff;
  });
  return bytes;
}

export function formatIpv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952: lower-case, no leading zeros, the longest run (≥ 2) of zero words becomes '::'. */
export function formatIpv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Zeroes every bit after the first `prefix` bits. */
export function maskBytes(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < out.length; i++) {
    const keep = Math.min(8, Math.max(0, prefix - i * 8));
    out[i] = (out[i] ?? 0) & ((0xff << (8 - keep)) & 0xff);
  }
  return out;
}

export function formatIp(bytes: Uint8Array): string {
  return bytes.length === 4 ? formatIpv4(bytes) : formatIpv6(bytes);
}

// Addresses that can never name a host on the public internet (IANA special-purpose registries).
// A gateway only sees them from internal traffic, tests or spoofed headers; none has a location.
const NON_PUBLIC_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.88.99.0', 24], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, including 255.255.255.255 broadcast
];

// IANA hands out global unicast only from 2000::/3, so everything outside it is non-public
// (loopback, unspecified, IPv4-compatible, NAT64, discard, ULA fc00::/7, link-local fe80::/10,
// multicast ff00::/8, ...). IPv4-mapped ::ffff:0:0/96 never gets here: parseIp unwraps it.
const NON_PUBLIC_V6: ReadonlyArray<readonly [string, number]> = [
  ['::', 3],
  ['4000::', 2],
  ['8000::', 1],
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, benchmarking, ...)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: the real host is the embedded IPv4 address
  ['3fff::', 20], // documentation (RFC 9637)
];

// Two lists, because BlockList checks an IPv4 address against IPv6 rules too (as ::ffff:a.b.c.d),
// and ::/3 above would then swallow every IPv4 address.
const nonPublicV4 = new BlockList();
for (const [net, prefix] of NON_PUBLIC_V4) nonPublicV4.addSubnet(net, prefix, 'ipv4');
const nonPublicV6 = new BlockList();
for (const [net, prefix] of NON_PUBLIC_V6) nonPublicV6.addSubnet(net, prefix, 'ipv6');

/** True when the address belongs to a special-purpose range (private, loopback, documentation, ...). */
export function isNonPublicIp(ip: ParsedIp): boolean {
  return ip.family === 'ipv4' ? nonPublicV4.check(ip.address, 'ipv4') : nonPublicV6.check(ip.address, 'ipv6');
}
