import { randomBytes } from 'node:crypto';
import { murmur2 as libraryMurmur2 } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionOf } from '../../src/kafka/key-partitioner.ts';

describe('key partitioner', () => {
  it('hashes like @platformatic/kafka\'s murmur2 (and so like its default partitioner) for every length', () => {
    for (let length = 0; length < 64; length += 1) {
      for (let i = 0; i < 50; i += 1) {
        const key = randomBytes(length);
        expect(murmur2(key)).toBe(libraryMurmur2(key));
      }
    }
    // Kafka's own test vectors (org.apache.kafka.common.utils.UtilsTest#testMurmur2)
    const vectors: Array<[string, number]> = [['21', -973932308], ['foobar', -790332482], ['a-little-bit-long-string', -985981536], ['a-little-bit-longer-string', -1486304829], ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971], ['abc', 479470107]];
    for (const [text, hash] of vectors) expect(murmur2(Buffer.from(text))).toBe(hash);
  });

  it('places a key by its unsigned hash, as the library does, and a keyless message by its value', () => {
    for (const key of ['c-42', 'bench-consumer', 'ünïcode-kéy', '']) {
      expect(partitionOf(key, 'v', 6)).toBe((libraryMurmur2(Buffer.from(key)) >>> 0) % 6);
      expect(partitionOf(key, 'v', 6)).toBe(partitionOf(key, 'other value', 6)); // remembered hash
    }
    const values = Array.from({ length: 60 }, (_, i) => `{"event_id":"${i}"}`);
    const first = values.map((v) => partitionOf(null, v, 6));
    expect(values.map((v) => partitionOf(null, v, 6))).toEqual(first); // the same split when resent
    expect(new Set(first).size).toBe(6);
  });
});
