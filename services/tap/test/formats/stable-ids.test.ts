// A gateway that retries a request whose 202 it never got (the tap died after Kafka acknowledged)
// sends the same log lines again. Each format that carries a request id derives event_id from it
// alone (never from the arrival time or a fresh id), so the retry produces the same event ids and
// the enricher's (consumer_id, event_id) dedup stores each event once. The combined log format
// carries no request id: its retries are duplicates, as the README says.
import { describe, expect, it } from 'vitest';
import { formats, type FormatName } from '../../src/ingest/formats/index.ts';
import { context, fixture, RECEIVED_AT } from './helpers.ts';

/**
 * Fixtures whose every record carries the request id its format reads (Kong 3.x's request.id,
 * Envoy's and Istio's x-request-id with the start time, NGINX $request_id, APISIX's x-request-id
 * header with the start time, the CloudEvents source + id, the canonical event_id). Kong 2.x logs
 * and APISIX logs without an x-request-id header have none: their retries get fresh ids.
 */
const WITH_REQUEST_IDS: [FormatName, string, string?][] = [
  ['kong', 'kong/http-log-3.8.json'],
  ['kong', 'kong/http-log-3.8-with-credentials.json'],
  ['envoy', 'envoy/envoy-gateway.ndjson'],
  ['envoy', 'envoy/istio-ingressgateway.ndjson'],
  ['nginx', 'nginx/tollgate-format.ndjson'],
  ['nginx', 'nginx/tollgate-decision.ndjson'],
  ['apisix', 'apisix/http-logger-key-auth.json'],
  ['cloudevents', 'cloudevents/openmeter-with-status.json', 'application/cloudevents+json'],
  ['cloudevents', 'cloudevents/canonical-data.json', 'application/cloudevents+json'],
  ['ndjson', 'ndjson/schema-test-events.ndjson'],
];

/** The event ids of a fixture's accepted records, as one delivery of it maps them. */
function eventIds(name: FormatName, path: string, attempt: string, receivedAt: Date, contentType?: string): string[] {
  const format = formats[name];
  const split = format.split(fixture(path), contentType ?? format.contentTypes[0] ?? '');
  if (!split.ok) throw new Error(`split refused ${path}: ${split.reason}`);
  let next = 0;
  const ctx = context({ receivedAt, newId: () => `${attempt}-fresh-${++next}` });
  return split.records.flatMap((record) => {
    const result = format.map(record, ctx);
    return result.ok ? [result.event.event_id] : [];
  });
}

describe('a retried request keeps its event ids', () => {
  it.each(WITH_REQUEST_IDS)('%s (%s): the same records delivered twice, seconds apart, get the same event ids', (name, path, contentType) => {
    const first = eventIds(name, path, 'first', RECEIVED_AT, contentType);
    const retry = eventIds(name, path, 'retry', new Date(RECEIVED_AT.getTime() + 7_000), contentType);
    expect(first.length).toBeGreaterThan(0);
    expect(retry).toEqual(first);
    expect(first.filter((id) => id.includes('-fresh-'))).toEqual([]);
  });

  it('combined log lines carry no request id: each delivery gets fresh ids', () => {
    const first = eventIds('combined', 'combined/nginx-default.log', 'first', RECEIVED_AT);
    const retry = eventIds('combined', 'combined/nginx-default.log', 'retry', RECEIVED_AT);
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((id, i) => id !== retry[i])).toBe(true);
  });
});
