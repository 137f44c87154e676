import { snappyCompress } from '@platformatic/wasm-utils';
import { describe, expect, it } from 'vitest';
import { decompressSnappy, snappyCodec } from '../src/kafka-snappy.ts';

const text = Buffer.from('{"schema":"api-request/v1","event_id":"e-1"}\n'.repeat(500));

describe('kafkajs snappy codec', () => {
  it('round-trips what it compresses', async () => {
    const codec = snappyCodec();
    const compressed = await codec.compress({ buffer: text });
    expect(compressed.length).toBeLessThan(text.length / 5);
    expect(await codec.decompress(compressed)).toEqual(text);
  });

  it('reads the xerial framing Java clients write: a 16-byte header, then length-prefixed blocks', () => {
    const blocks = [text.subarray(0, 7_000), text.subarray(7_000)].map((b) => snappyCompress(b));
    const header = Buffer.from([130, 83, 78, 65, 80, 80, 89, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
    const framed = Buffer.concat([header, ...blocks.flatMap((b) => [Buffer.from([0, 0, (b.length >> 8) & 0xff, b.length & 0xff]), b])]);
    expect(decompressSnappy(framed)).toEqual(text);
  });
});
