// Which address made the request. X-Forwarded-For is written by whoever sent the request, so any
// entry can be forged; only an entry appended by a proxy we run (a trusted proxy) is believable.
// Walking from the right, each trusted hop vouches for the entry to its left, and the first hop
// we do not trust is the client: what lies further left is that client's own claim.
import { BlockList } from 'node:net';
import { parseIp } from './ip.ts';

export interface ForwardedAddresses {
  /** The socket peer the gateway saw. */
  client_ip?: string;
  /** X-Forwarded-For entries, left (original client claim) to right (nearest proxy). */
  forwarded_for?: string[];
}

/**
 * Parses trusted proxies as IPs or CIDRs, either a list or the TRUSTED_PROXIES env format
 * ("10.0.0.0/8, 192.168.1.7, fd00::/8"). Throws one error naming every bad entry.
 */
export function parseTrustedProxies(spec: string | readonly string[]): BlockList {
  const entries = (typeof spec === 'string' ? spec.split(',') : spec).map((e) => e.trim()).filter((e) => e !== '');
  const list = new BlockList();
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    const problem = addEntry(list, entry);
    if (problem) problems.push(`entry ${i + 1} "${entry}": ${problem}`);
  });
  if (problems.length > 0) {
    throw new Error(`invalid trusted proxies (expected IPs or CIDRs like 10.0.0.0/8 or fd00::/8): ${problems.join('; ')}`);
  }
  return list;
}

function addEntry(list: BlockList, entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const ip = parseIp(slash < 0 ? entry : entry.slice(0, slash));
  if (!ip) return 'not an IP address';
  const bits = ip.family === 'ipv4' ? 32 : 128;
  if (slash < 0) {
    list.addAddress(ip.address, ip.family);
    return undefined;
  }
  const prefixText = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return 'prefix length must be a number';
  let prefix = Number(prefixText);
  // '::ffff:10.0.0.0/104' was unwrapped to IPv4 by parseIp, so its prefix counts IPv4 bits.
  if (ip.family === 'ipv4' && entry.slice(0, slash).includes(':')) prefix -= 96;
  if (prefix < 0 || prefix > bits) return `${ip.family === 'ipv4' ? 'IPv4' : 'IPv6'} prefix length must be 0-${bits}`;
  // Host bits after the prefix ('10.1.2.3/8') are accepted and ignored, as nginx and proxy-addr do.
  list.addSubnet(ip.address, prefix, ip.family);
  return undefined;
}

// A CIDR list given directly is compiled once per array instance, not once per event.
const compiled = new WeakMap<readonly string[], BlockList>();

function toBlockList(trusted: BlockList | readonly string[]): BlockList {
  if (trusted instanceof BlockList) return trusted;
  let list = compiled.get(trusted);
  if (!list) {
    list = parseTrustedProxies(trusted);
    compiled.set(trusted, list);
  }
  return list;
}

/**
 * The client address in canonical form, or undefined when the gateway recorded no valid peer
 * address (then nothing anchors the chain, and XFF alone proves nothing). An invalid XFF entry
 * stops the walk at the last valid hop, which is the nearest address we can still vouch for.
 */
export function resolveClientIp(event: ForwardedAddresses, trustedProxies: BlockList | readonly string[]): string | undefined {
  const peer = parseIp(event.client_ip);
  if (!peer) return undefined;
  const trusted = toBlockList(trustedProxies);
  // One XFF header may arrive as a single comma-joined entry; split so each hop is checked.
  const chain = (event.forwarded_for ?? []).flatMap((entry) => (typeof entry === 'string' ? entry.split(',') : ['']));
  let current = peer;
  for (let i = chain.length - 1; i >= 0 && trusted.check(current.address, current.family); i--) {
    const next = parseIp(chain[i]);
    if (!next) break;
    current = next;
  }
  return current.address;
}
