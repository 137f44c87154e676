import { describe, expect, it } from 'vitest';
import { seededRandom } from '@tollgate/platform';
import { ExchangeBatchWriter } from '../src/exchange-batch.ts';
import type { Exchange } from '../src/exchange.ts';
import { readExchangeBatch } from './helpers.ts';
import { randomExchange } from './random-exchange.ts';

describe('exchange batch', () => {
  it('reads back every exchange field for field, whatever its text, over batches of every size', () => {
    const next = seededRandom(7);
    const writer = new ExchangeBatchWriter(50, 50 * 64);
    for (let round = 0; round < 40; round += 1) {
      const exchanges = Array.from({ length: 1 + Math.floor(next() * 50) }, (_, i) => randomExchange(next, round * 100 + i));
      const read: Exchange[] = [];
      for (const exchange of exchanges) {
        while (!writer.add(exchange)) {
          const batch = writer.take();
          if (batch) read.push(...readExchangeBatch(batch));
        }
      }
      const batch = writer.take();
      if (batch) read.push(...readExchangeBatch(batch));
      expect(read).toEqual(exchanges);
    }
  });

  it('writes text repeated from the previous exchange once, and a batch handed over is reusable', () => {
    const writer = new ExchangeBatchWriter(10, 1_000);
    const exchange: Exchange = ['rq-1', 1, 'GET', '/a', '/a', 'h', 200, 1, null, null, '10.0.0.1', 'ua', 'api', 'gw', 'c', null, null, null, null, null];
    writer.add(exchange);
    writer.add([...exchange]);
    const batch = writer.take()!;
    // The second exchange: one unit per text field (all the same, or null).
    const firstText = ['rq-1', 'GET', '/a', '/a', 'h', '10.0.0.1', 'ua', 'api', 'gw', 'c'].join('').length + 15;
    expect(batch.textLength).toBe(firstText + 15);
    expect(readExchangeBatch(batch)).toEqual([exchange, exchange]);
    const { numbers, text } = batch;
    writer.recycle(numbers, text);
    expect(writer.take()).toBeUndefined();
    writer.add(exchange);
    expect(writer.take()!.text).not.toBe(text); // filled while the worker held the other
    writer.add(exchange);
    expect(writer.take()!.text).toBe(text); // the recycled buffers carry the batch after
  });

  it('refuses an exchange that does not fit, and takes it into the next batch, grown for text longer than a batch', () => {
    const writer = new ExchangeBatchWriter(2, 100);
    const small: Exchange = [null, 1, 'GET', '/', null, null, 200, 1, null, null, null, null, null, null, null, null, null, null, null, null];
    const large: Exchange = [null, 1, 'GET', `/${'z'.repeat(5_000)}`, null, null, 200, 1, null, null, null, null, null, null, null, null, null, null, null, null];
    expect(writer.add(small)).toBe(true);
    expect(writer.add(large)).toBe(false);
    expect(readExchangeBatch(writer.take()!)).toEqual([small]);
    let grown = 0;
    while (!writer.add(large)) grown += 1;
    expect(grown).toBeGreaterThan(0);
    expect(writer.add(small)).toBe(true);
    expect(writer.add(small)).toBe(false); // two events a batch
    expect(readExchangeBatch(writer.take()!)).toEqual([large, small]);
  });
});
