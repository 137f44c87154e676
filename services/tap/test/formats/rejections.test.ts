// Bad records across all formats: each is rejected with a reason that points at the problem.
import { describe, expect, it } from 'vitest';
import { formats } from '../../src/ingest/formats/index.ts';
import type { FormatName } from '../../src/ingest/formats/types.ts';
import { context } from './helpers.ts';

const kongBase = { request: { method: 'GET', uri: '/a', headers: {} }, response: { status: 200 }, started_at: 1726783839538 };
const envoyBase = { start_time: '2025-04-09T11:44:45.639Z', method: 'GET', path: '/a', response_code: 200, 'x-request-id': 'r1' };
const apisixBase = { request: { method: 'GET', uri: '/a', headers: {} }, response: { status: 200 }, start_time: 1718291190508 };
const nginxBase = { msec: '1782465047.123', request_id: 'abc', method: 'GET', uri: '/a', status: '200' };
const canonical = { schema: 'api-request/v1', event_id: 'e1', timestamp: '2026-11-26T06:20:27.000Z', gateway: { kind: 'generic' }, method: 'GET', path: '/', status: 200 };
const ce = { specversion: '1.0', id: '1', source: 's', data: { method: 'GET', path: '/a', status: 200 } };

const bad: Array<[string, FormatName, unknown, RegExp]> = [
  ['kong: not an object', 'kong', 42, /^record must be a JSON object, got number$/],
  ['kong: no request', 'kong', { response: { status: 200 } }, /^request is missing/],
  ['kong: status is text', 'kong', { ...kongBase, response: { status: 'OK' } }, /^response status is missing or not an integer/],
  ['kong: status out of range', 'kong', { ...kongBase, response: { status: 1200 } }, /^\/status must be <= 999$/],
  ['kong: method not a token', 'kong', { ...kongBase, request: { method: 'GET /x', uri: '/a' } }, /^\/method must match pattern/],
  ['kong: unreadable started_at', 'kong', { ...kongBase, started_at: 'soon' }, /^started_at "soon" is not a recognisable time$/],
  ['envoy: start_time in 1970 (seconds/ms mix-up)', 'envoy', { ...envoyBase, start_time: 1700000 }, /^start_time 1700000 is not a recognisable time$/],
  ['envoy: array record', 'envoy', [envoyBase], /^record must be a JSON object, got an array$/],
  ['envoy: no path', 'envoy', { ...envoyBase, path: '-' }, /^request path is missing \(expected Envoy\/Istio access log keys/],
  ['envoy: status 200.5', 'envoy', { ...envoyBase, response_code: 200.5 }, /^response status is missing or not an integer/],
  ['apisix: custom log_format', 'apisix', { host: 'h', client_ip: '1.2.3.4' }, /^request is missing \(not the APISIX default log format/],
  ['apisix: method missing', 'apisix', { ...apisixBase, request: { uri: '/a' } }, /^request method is missing$/],
  ['nginx: null record', 'nginx', null, /^record must be a JSON object, got null$/],
  ['nginx: no status', 'nginx', { ...nginxBase, status: '-' }, /^response status is missing or not an integer \(expected the documented tollgate nginx log_format\)$/],
  ['combined: JSON line', 'combined', '{"method":"GET"}', /^line is not in the combined \(or common\) log format$/],
  ['combined: bad month', 'combined', '1.2.3.4 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "-"', /^time "10\/Foo\/2000:13:55:36 -0700" is not a valid/],
  ['combined: object record', 'combined', { line: 'x' }, /^record must be a text line, got an object$/],
  ['ndjson: wrong schema', 'ndjson', { ...canonical, schema: 'api-request/v2' }, /^schema must be "api-request\/v1", got "api-request\/v2"$/],
  ['ndjson: unparseable timestamp', 'ndjson', { ...canonical, timestamp: 'yesterday' }, /^timestamp "yesterday" is not a recognisable UTC time$/],
  ['ndjson: unknown field', 'ndjson', { ...canonical, password: 'hunter2' }, /^event has unknown field "password"$/],
  ['ndjson: bad client ip', 'ndjson', { ...canonical, client_ip: '999.1.1.1' }, /^\/client_ip must be an IPv4 or IPv6 address$/],
  ['cloudevents: spec 0.3', 'cloudevents', { ...ce, specversion: '0.3' }, /^specversion must be "1.0", got "0.3"$/],
  ['cloudevents: no id', 'cloudevents', { ...ce, id: '' }, /^CloudEvent id is missing$/],
  ['cloudevents: data_base64', 'cloudevents', { ...ce, data: undefined, data_base64: 'AAAA' }, /^data_base64 \(binary data\) is not supported/],
  ['cloudevents: XML data', 'cloudevents', { ...ce, datacontenttype: 'application/xml', data: '<a/>' }, /^datacontenttype "application\/xml" is not JSON$/],
  ['cloudevents: string data', 'cloudevents', { ...ce, data: "I'm just a string" }, /^data must be a JSON object describing an API request/],
  ['cloudevents: bad time', 'cloudevents', { ...ce, time: 'tomorrow' }, /^time "tomorrow" is not an RFC 3339 timestamp$/],
];

describe('bad records', () => {
  it.each(bad)('%s', (_name, format, record, reason) => {
    const result = formats[format].map(record, context());
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.reason).toMatch(reason);
  });

  it('rejects a malformed NDJSON line by index in every NDJSON format', () => {
    for (const name of ['envoy', 'nginx', 'ndjson'] as const) {
      const split = formats[name].split('{"ok":1}\n{nope\n', 'application/x-ndjson');
      expect(split.ok).toBe(true);
      const second = split.ok ? formats[name].map(split.records[1], context()) : undefined;
      expect(second).toMatchObject({ ok: false, reason: expect.stringMatching(/^line 2 is not valid JSON: /) });
    }
  });
});
