// Which partition a keyed message goes to: murmur2 of the key, as @platformatic/kafka's default
// partitioner computes it (and Kafka's Java client hashes), in 32-bit integer arithmetic. The
// library's own murmur2 works in BigInt: 1.8 % of the plugin's worker in a CPU profile, for a hash.
import type { Partitioner } from '@platformatic/kafka';

const M = 0x5bd1e995;

export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length % 4;
  if (rest > 0) {
    if (rest === 3) h ^= data[whole + 2]! << 16;
    if (rest >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

let roundRobin = 0;

/**
 * The library's default: the unsigned hash of the key (it takes the rest by the partition count),
 * keyless messages in turn.
 */
export const keyPartitioner: Partitioner<string, string, string, string> = (_message, key) => {
  if (key) return murmur2(key) >>> 0;
  roundRobin = (roundRobin + 1) >>> 0;
  return roundRobin;
};
