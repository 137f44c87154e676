// Shared by the format tests: a deterministic MapContext and fixture loading.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApiRequestEvent } from '@tollgate/schemas';
import type { InputFormat, MapContext, MapResult } from '../../src/ingest/formats/types.ts';

export const RECEIVED_AT = new Date('2026-11-26T12:00:00.000Z');

/** The HMAC the test context uses, so tests can compute the expected credential_hmac. */
export function hmac(secret: string): string {
  return createHmac('sha256', 'test-key').update(secret).digest('hex');
}

export function context(overrides: Partial<MapContext> = {}): MapContext {
  let next = 0;
  return {
    receivedAt: RECEIVED_AT,
    newId: () => `gen-${++next}`,
    hmac,
    secretQueryParams: new Set(['apikey', 'api_key', 'token', 'access_token']),
    ...overrides,
  };
}

export function fixture(path: string): string {
  return readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
}

/** Splits a fixture and maps every record; fails loudly when the body itself is refused. */
export function mapFixture(format: InputFormat, path: string, contentType = format.contentTypes[0] ?? '', ctx = context()): MapResult[] {
  const split = format.split(fixture(path), contentType);
  if (!split.ok) throw new Error(`split refused ${path}: ${split.reason}`);
  return split.records.map((record) => format.map(record, ctx));
}

export function events(results: MapResult[]): ApiRequestEvent[] {
  return results.map((result, index) => {
    if (!result.ok) throw new Error(`record ${index} rejected: ${result.reason}`);
    return result.event;
  });
}

export function only(results: MapResult[]): ApiRequestEvent {
  const [event, ...rest] = events(results);
  if (event === undefined || rest.length > 0) throw new Error(`expected one event, got ${results.length}`);
  return event;
}
