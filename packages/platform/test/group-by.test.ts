// groupBy keeps first-seen order of groups and input order within each, for any key type.
import { describe, expect, it } from 'vitest';
import { groupBy } from '../src/group-by.ts';

describe('groupBy', () => {
  it('groups by a string or a number key, in first-seen order', () => {
    const rows = [{ c: 'b', n: 1 }, { c: 'a', n: 2 }, { c: 'b', n: 3 }];
    expect([...groupBy(rows, (r) => r.c)]).toEqual([['b', [rows[0], rows[2]]], ['a', [rows[1]]]]);
    expect([...groupBy([5, 6, 7, 8], (n) => n % 2)]).toEqual([[1, [5, 7]], [0, [6, 8]]]);
    expect(groupBy([], (n: number) => n).size).toBe(0);
  });
});
