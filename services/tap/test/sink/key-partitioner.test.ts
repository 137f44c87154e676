import { randomBytes } from 'node:crypto';
import { murmur2 as libraryMurmur2 } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { keyPartitioner, murmur2 } from '../../src/sink/key-partitioner.ts';

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

  it('sends a key to its unsigned hash and spreads keyless messages', () => {
    const key = Buffer.from('c-42');
    expect(keyPartitioner({ topic: 't', value: '' }, key, { metadata: undefined })).toBe(libraryMurmur2(key) >>> 0);
    const keyless = new Set(Array.from({ length: 6 }, () => keyPartitioner({ topic: 't', value: '' }, undefined, { metadata: undefined }) % 6));
    expect(keyless.size).toBe(6);
  });
});
