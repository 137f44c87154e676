import { describe, expect, it } from 'vitest';
import { statusClass } from '../../src/enrich/status.ts';

describe('statusClass', () => {
  it.each([
    [100, '1xx'],
    [101, '1xx'],
    [200, '2xx'],
    [204, '2xx'],
    [299, '2xx'],
    [301, '3xx'],
    [304, '3xx'],
    [404, '4xx'],
    [429, '4xx'],
    [499, '4xx'],
    [500, '5xx'],
    [503, '5xx'],
    [599, '5xx'],
  ])('%i → %s', (status, expected) => {
    expect(statusClass(status)).toBe(expected);
  });

  it.each([0, -1, 99, 600, 999, 200.5, Number.NaN, Number.POSITIVE_INFINITY])('%d → other', (status) => {
    expect(statusClass(status)).toBe('other');
  });
});
