import { describe, expect, it } from 'vitest';
import { JsonCompactRows } from '../src/clickhouse.ts';

describe('JsonCompactRows', () => {
  it('holds every row as one JSON line, across chunk boundaries and multi-byte text', () => {
    const rows: unknown[][] = [];
    const encoded = new JsonCompactRows();
    for (let i = 0; i < 3_000; i += 1) {
      // Rows of ~1.5 KB with 3-byte and 4-byte characters: several 1 MiB chunks, each filled unevenly.
      const row = [`e-${i}`, 'ü漢😀"\\\n\t'.repeat(1 + (i % 97)), i, i % 2 === 0, null, 1.5];
      rows.push(row);
      encoded.push(row);
    }
    const huge = ['x'.repeat(2_000_000)]; // larger than a chunk on its own
    rows.push(huge);
    encoded.push(huge);
    expect(encoded.count).toBe(rows.length);
    const text = encoded.toBuffer().toString('utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1).split('\n').map((line) => JSON.parse(line))).toEqual(rows);
  });

  it('is empty until a row is added', () => {
    const encoded = new JsonCompactRows();
    expect(encoded.count).toBe(0);
    expect(encoded.toBuffer().length).toBe(0);
  });
});
