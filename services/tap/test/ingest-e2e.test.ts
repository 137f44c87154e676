// Each gateway format end to end: the fixture is posted to the running tap, and the canonical
// events read back from the real broker are compared field by field with the parser's expected
// output (whose own tests pin every field against hand-written expectations).
import { afterAll, describe, expect, it } from 'vitest';
import { validateApiRequest, type ApiRequestEvent } from '@tollgate/schemas';
import { readWholeTopic } from '../../../test/harness/kafka.ts';
import { formats } from '../src/ingest/formats/index.ts';
import type { FormatName } from '../src/ingest/formats/types.ts';
import { context, events, fixture, mapFixture, RECEIVED_AT } from './formats/helpers.ts';
import { ingest, startTestTap, testKafka, TOKEN_NAME } from './helpers.ts';

const kafka = testKafka();
const cases: Array<{ format: FormatName; file: string; contentType: string }> = [
  { format: 'kong', file: 'kong/batch-2.2.json', contentType: 'application/json' },
  { format: 'kong', file: 'kong/http-log-3.8-with-credentials.json', contentType: 'application/json' },
  { format: 'envoy', file: 'envoy/istio-docs-sleep-httpbin.ndjson', contentType: 'application/x-ndjson' },
  { format: 'envoy', file: 'envoy/envoy-gateway.ndjson', contentType: 'application/x-ndjson' },
  { format: 'apisix', file: 'apisix/http-logger-batch.json', contentType: 'application/json' },
  { format: 'nginx', file: 'nginx/tollgate-format.ndjson', contentType: 'application/x-ndjson' },
  { format: 'combined', file: 'combined/apache-docs.log', contentType: 'text/plain' },
  { format: 'ndjson', file: 'ndjson/schema-test-events.ndjson', contentType: 'application/x-ndjson' },
  { format: 'cloudevents', file: 'cloudevents/openmeter-with-status.json', contentType: 'application/cloudevents+json' },
  { format: 'cloudevents', file: 'cloudevents/canonical-data.json', contentType: 'application/cloudevents+json' },
];

const started = await Promise.all(cases.map(() => startTestTap()));
afterAll(async () => {
  for (const { tap } of started) await tap.close();
});

/**
 * Generated ids and arrival times differ run to run; everything else must match exactly. The tap
 * stamps the name of the request's token (tap_token), which the parser alone does not know.
 */
function comparable(event: ApiRequestEvent, expected: ApiRequestEvent): ApiRequestEvent {
  const copy = structuredClone(event);
  expect(copy.tap_token).toBe(TOKEN_NAME);
  delete copy.tap_token;
  if (expected.event_id.startsWith('gen-')) {
    expect(copy.event_id).toMatch(/^[0-9a-f-]{36}$/);
    copy.event_id = expected.event_id;
  }
  if (expected.timestamp === RECEIVED_AT.toISOString()) copy.timestamp = expected.timestamp;
  return copy;
}

describe('every input format, end to end through the real broker', () => {
  it.each(cases.map((c, i) => [`${c.format} ${c.file}`, c, i] as const))('%s', async (_name, testCase, i) => {
    const { tap, config } = started[i]!;
    const format = formats[testCase.format];
    const ctx = context({ secretQueryParams: new Set(config.secretQueryParams) });
    const expected = events(mapFixture(format, testCase.file, testCase.contentType, ctx));
    expect(expected.length).toBeGreaterThan(0);

    const response = await ingest(tap, testCase.format, fixture(testCase.file), testCase.contentType);
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ accepted: expected.length, rejected: 0, errors: [] });

    const messages = await readWholeTopic(kafka, config.topic);
    expect(messages).toHaveLength(expected.length);
    const byOrder = messages.map((m) => ({ key: m.key, event: JSON.parse(m.value) as ApiRequestEvent }));
    // One consumer's events share a partition; order across partitions is not defined.
    byOrder.sort((a, b) => expected.findIndex((e) => e.event_id === a.event.event_id || e.path === a.event.path) - expected.findIndex((e) => e.event_id === b.event.event_id || e.path === b.event.path));
    const remaining = [...expected];
    for (const { key, event } of byOrder) {
      expect(validateApiRequest(event).ok).toBe(true);
      expect(key).toBe(event.consumer?.id ?? event.request_id ?? event.event_id);
      const index = remaining.findIndex((e) => JSON.stringify(comparable(event, e)) === JSON.stringify(e));
      expect(index, `unexpected event ${JSON.stringify(event)}`).toBeGreaterThanOrEqual(0);
      remaining.splice(index, 1);
    }
    expect(remaining).toEqual([]);
  });
});
