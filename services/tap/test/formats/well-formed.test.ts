// Every string of every event the tap emits is well-formed UTF-16, and text cut to a schema limit
// is cut on a code-point boundary: a lone surrogate reaches ClickHouse as \udxxx, which it refuses
// together with the whole insert.
import { describe, expect, it } from 'vitest';
import { API_REQUEST_LIMITS as MAX } from '@tollgate/schemas';
import type { ApiRequestEvent } from '@tollgate/schemas';
import { formats } from '../../src/ingest/formats/index.ts';
import type { FormatName } from '../../src/ingest/formats/types.ts';
import { context } from './helpers.ts';

const EMOJI = '😀'; // two code units: a surrogate pair
/** One unit short of the limit, then the pair: a cut at the limit falls inside the pair. */
const LONG_AGENT = 'a'.repeat(MAX.userAgent - 1) + EMOJI;
const LONG_PATH = '/' + 'p'.repeat(MAX.path - 2) + EMOJI;
/** What a cut that keeps whole code points leaves of them. */
const CUT_AGENT = 'a'.repeat(MAX.userAgent - 1);
const CUT_PATH = '/' + 'p'.repeat(MAX.path - 2);
const TIME_MS = Date.parse('2026-11-26T11:00:00.000Z');

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, out);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) strings(item, out);
  return out;
}

function mapOne(format: FormatName, body: string, contentType = formats[format].contentTypes[0]!): ApiRequestEvent {
  const split = formats[format].split(body, contentType);
  if (!split.ok) throw new Error(split.reason);
  expect(split.records).toHaveLength(1);
  const result = formats[format].map(split.records[0], context());
  if (!result.ok) throw new Error(result.reason);
  return result.event;
}

function expectWellFormed(event: ApiRequestEvent): void {
  for (const text of strings(event)) expect(text.isWellFormed(), JSON.stringify(text.slice(-4))).toBe(true);
  // And as it travels: JSON of a well-formed event has no \udxxx escape.
  expect(JSON.stringify(event)).not.toMatch(/\\ud[89a-f]/i);
}

/** A record of each gateway format with the given user agent and path. */
const RECORDS: Record<Exclude<FormatName, 'ndjson'>, (agent: string, path: string) => string> = {
  kong: (agent, path) => JSON.stringify({ request: { method: 'GET', uri: path, headers: { 'user-agent': agent, host: 'h' } }, response: { status: 200 }, started_at: TIME_MS }),
  apisix: (agent, path) => JSON.stringify({ request: { method: 'GET', uri: path, headers: { 'user-agent': agent } }, response: { status: 200 }, start_time: TIME_MS }),
  envoy: (agent, path) => JSON.stringify({ method: 'GET', path, response_code: 200, user_agent: agent, start_time: new Date(TIME_MS).toISOString() }),
  nginx: (agent, path) => JSON.stringify({ method: 'GET', uri: path, status: '200', user_agent: agent, msec: String(TIME_MS / 1000) }),
  cloudevents: (agent, path) => JSON.stringify({ specversion: '1.0', id: 'e-1', source: 'test', time: new Date(TIME_MS).toISOString(), data: { method: 'GET', path, status: 200, user_agent: agent } }),
  combined: (agent, path) => `203.0.113.9 - - [26/Nov/2026:11:00:00 +0000] "GET ${path} HTTP/1.1" 200 12 "-" "${agent}"`,
};

describe('text is cut on code-point boundaries and well-formed in every event', () => {
  for (const [format, record] of Object.entries(RECORDS) as Array<[keyof typeof RECORDS, (agent: string, path: string) => string]>) {
    it(`${format}: a user agent and a path cut inside a surrogate pair keep whole code points, within the limits`, () => {
      const event = mapOne(format, record(LONG_AGENT, LONG_PATH));
      expectWellFormed(event);
      expect(event.user_agent).toBe(CUT_AGENT);
      expect(event.path).toBe(CUT_PATH);
      expect(event.user_agent!.length).toBeLessThanOrEqual(MAX.userAgent);
      expect(event.path.length).toBeLessThanOrEqual(MAX.path);
    });

    if (format !== 'combined') {
      it(`${format}: a lone surrogate the gateway wrote (\\ud83d in its JSON) becomes U+FFFD`, () => {
        const event = mapOne(format, record('agent \ud83d', '/p/\ude00'));
        expectWellFormed(event);
        expect(event.user_agent).toBe('agent \ufffd');
        expect(event.path).toBe('/p/\ufffd');
      });
    }
  }

  it('ndjson: a canonical event whose writer cut a pair in half (\\ud83d at the end) is emitted well-formed, its length kept', () => {
    const agent = 'a'.repeat(MAX.userAgent - 1) + '\ud83d';
    const line = JSON.stringify({
      schema: 'api-request/v1', event_id: 'e-1', timestamp: '2026-11-26T11:00:00.000Z', gateway: { kind: 'generic', instance: 'gw \udc00' },
      method: 'GET', path: '/p/\ud83d', status: 200, user_agent: agent, forwarded_for: ['x\ud800'], consumer: { id: 'c\ud83d', scopes: ['s\udfff'] },
    });
    expect(line).toContain('\\ud83d');
    const event = mapOne('ndjson', line);
    expectWellFormed(event);
    expect(event.user_agent).toBe(`${CUT_AGENT}\ufffd`);
    expect(event.user_agent!.length).toBe(MAX.userAgent);
    expect(event.path).toBe('/p/\ufffd');
    expect(event.consumer).toEqual({ id: 'c\ufffd', scopes: ['s\ufffd'] });
  });

  it('cloudevents: canonical data with a lone surrogate is emitted well-formed', () => {
    const body = JSON.stringify({
      specversion: '1.0', id: 'e-2', source: 'src\ud83d', time: '2026-11-26T11:00:00.000Z',
      data: { schema: 'api-request/v1', method: 'GET', path: '/x', status: 200, user_agent: 'ua \ud83d' },
    });
    const event = mapOne('cloudevents', body);
    expectWellFormed(event);
    expect(event.user_agent).toBe('ua \ufffd');
  });

  it('combined: nginx/Apache \\xHH escapes are decoded as UTF-8; a sequence cut short becomes U+FFFD', () => {
    const whole = mapOne('combined', String.raw`203.0.113.9 - - [26/Nov/2026:11:00:00 +0000] "GET /caf\xC3\xA9 HTTP/1.1" 200 12 "-" "agent \xF0\x9F\x98\x80"`);
    expect(whole.user_agent).toBe(`agent ${EMOJI}`);
    expect(whole.path).toBe('/café');
    const cut = mapOne('combined', String.raw`203.0.113.9 - - [26/Nov/2026:11:00:00 +0000] "GET / HTTP/1.1" 200 12 "-" "agent \xF0\x9F\x98"`);
    expectWellFormed(cut);
    expect(cut.user_agent).toBe('agent \ufffd');
  });
});
