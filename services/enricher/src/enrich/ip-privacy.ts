// What lands in api_requests.client_ip. The raw address is personal data and is never stored:
// either it is truncated to its network (keeps coarse analytics such as "which ISP subnet") or
// replaced by a keyed hash (keeps "same client" counting without revealing the address).
// There is deliberately no pass-through mode.
import { createHmac } from 'node:crypto';
import { formatIp, maskBytes, parseIp } from './ip.ts';

export type IpPrivacyPolicy =
  | { mode: 'truncate'; ipv4Prefix: number; ipv6Prefix: number }
  | { mode: 'hash'; key: Buffer };

export const DEFAULT_IP_PRIVACY: IpPrivacyPolicy = { mode: 'truncate', ipv4Prefix: 24, ipv6Prefix: 48 };

// Longer prefixes stop being truncation: an IPv4 /25../32 is a handful of hosts at most, and an
// IPv6 /64 is already a single LAN, typically one household.
export const MAX_IPV4_PREFIX = 24;
export const MAX_IPV6_PREFIX = 64;
// A short key makes the HMAC guessable, and then every stored hash maps back to its address.
export const MIN_HASH_KEY_BYTES = 16;
export const HASH_HEX_LENGTH = 32;

/** Throws on a policy that would store (nearly) raw addresses; call it at startup. */
export function assertIpPrivacyPolicy(policy: IpPrivacyPolicy): void {
  if (policy.mode === 'truncate') {
    checkPrefix('ipv4Prefix', policy.ipv4Prefix, MAX_IPV4_PREFIX);
    checkPrefix('ipv6Prefix', policy.ipv6Prefix, MAX_IPV6_PREFIX);
  } else if (policy.mode === 'hash') {
    if (!Buffer.isBuffer(policy.key) || policy.key.length < MIN_HASH_KEY_BYTES) {
      throw new Error(`ip privacy: hash key must be a Buffer of at least ${MIN_HASH_KEY_BYTES} bytes`);
    }
  } else {
    throw new Error(`ip privacy: mode must be 'truncate' or 'hash', got ${JSON.stringify((policy as { mode?: unknown }).mode)}`);
  }
}

function checkPrefix(field: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new Error(`ip privacy: ${field} must be an integer 0-${max}, got ${String(value)}`);
  }
}

/**
 * Truncate: the network in CIDR form, canonical (dotted quad / RFC 5952), e.g. '203.0.113.0/24',
 * '2001:db8:1234::/48'. Hash: HMAC-SHA256 of the canonical address, first 32 hex chars (128 bits),
 * so '::ffff:1.2.3.4' and '1.2.3.4' hash alike. A missing or invalid address gives ''.
 */
export function maskIp(ip: string | undefined, policy: IpPrivacyPolicy): string {
  assertIpPrivacyPolicy(policy);
  const parsed = parseIp(ip);
  if (!parsed) return '';
  if (policy.mode === 'hash') {
    return createHmac('sha256', policy.key).update(parsed.address).digest('hex').slice(0, HASH_HEX_LENGTH);
  }
  const prefix = parsed.family === 'ipv4' ? policy.ipv4Prefix : policy.ipv6Prefix;
  return `${formatIp(maskBytes(parsed.bytes, prefix))}/${prefix}`;
}
