import { describe, expect, it } from 'vitest';
import { tabSeparatedField, toTabSeparated } from '../../src/tab-separated.ts';

describe('TabSeparated rows', () => {
  it('escapes exactly the characters the format gives a meaning', () => {
    expect(tabSeparatedField('a\tb\nc\rd\\e\0f')).toBe('a\\tb\\nc\\rd\\\\e\\0f');
    // A string that reads like NULL stays a string.
    expect(tabSeparatedField('\\N')).toBe('\\\\N');
    expect(tabSeparatedField('plain "quoted" \'text\' zürich')).toBe('plain "quoted" \'text\' zürich');
    expect(tabSeparatedField('')).toBe('');
  });

  it('writes NULL, booleans and numbers as ClickHouse reads them', () => {
    expect([null, true, false, 0, 12.5, 1e-7, 18_446_744].map(tabSeparatedField)).toEqual(['\\N', 'true', 'false', '0', '12.5', '1e-7', '18446744']);
  });

  it('ends every row with a newline and separates fields by tabs', () => {
    expect(toTabSeparated([['a', 1, null], ['b\tc', true, 2.5]])).toBe('a\t1\t\\N\nb\\tc\ttrue\t2.5\n');
    expect(toTabSeparated([])).toBe('');
  });
});
