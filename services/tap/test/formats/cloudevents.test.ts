import { describe, expect, it } from 'vitest';
import { cloudevents } from '../../src/ingest/formats/cloudevents.ts';
import { context, events, fixture, mapFixture } from './helpers.ts';

describe('cloudevents', () => {
  it('rejects the spec batch example: binary data and non-request data', () => {
    const results = mapFixture(cloudevents, 'cloudevents/spec-batch-example.json', 'application/cloudevents-batch+json');
    expect(results).toEqual([
      { ok: false, reason: 'data_base64 (binary data) is not supported; send JSON data' },
      { ok: false, reason: 'request method is missing (data must be an api-request/v1 event or carry method, path and status)' },
    ]);
  });

  it('rejects the OpenMeter quickstart event: a metering event without an HTTP status is not assumed successful', () => {
    expect(mapFixture(cloudevents, 'cloudevents/openmeter-quickstart.json', 'application/cloudevents+json')).toEqual([
      { ok: false, reason: 'response status is missing or not an integer (data must be an api-request/v1 event or carry method, path and status)' },
    ]);
  });

  it('maps an OpenMeter-style metering event with a status', () => {
    const [event] = events(mapFixture(cloudevents, 'cloudevents/openmeter-with-status.json', 'application/cloudevents+json'));
    expect(event).toEqual({
      schema: 'api-request/v1',
      event_id: 'cloudevents:service-0:00002',
      timestamp: '2023-01-01T00:00:00.001Z',
      gateway: { kind: 'cloudevents', instance: 'service-0' },
      method: 'GET',
      path: '/hello',
      status: 200,
      latency_ms: { total: 1 },
      consumer: { id: 'customer-1' },
    });
  });

  it('uses canonical data as is (its own event_id and gateway win over the envelope)', () => {
    const [event] = events(mapFixture(cloudevents, 'cloudevents/canonical-data.json', 'application/cloudevents+json'));
    expect(event).toEqual({
      schema: 'api-request/v1',
      event_id: 'e1',
      timestamp: '2026-11-26T06:20:27.000Z',
      gateway: { kind: 'generic' },
      method: 'GET',
      path: '/',
      status: 200,
    });
  });

  it('fills canonical data from the envelope when data lacks event_id, timestamp and gateway', () => {
    const result = cloudevents.map({
      specversion: '1.0', id: 'abc', source: 'urn:app', time: '2026-03-04T05:06:07.8+01:00',
      data: { schema: 'api-request/v1', method: 'GET', path: '/x?token=t', status: 204 },
    }, context());
    expect(result).toEqual({
      ok: true,
      event: {
        schema: 'api-request/v1',
        event_id: 'cloudevents:urn:app:abc',
        timestamp: '2026-03-04T04:06:07.800Z',
        gateway: { kind: 'cloudevents', instance: 'urn:app' },
        method: 'GET',
        path: '/x',
        status: 204,
      },
    });
  });

  it('enforces the media type shape: structured = one object, batch = array, application/json = either', () => {
    const one = fixture('cloudevents/openmeter-with-status.json');
    expect(cloudevents.split(one, 'application/cloudevents+json; charset=utf-8')).toMatchObject({ ok: true });
    expect(cloudevents.split(`[${one}]`, 'application/cloudevents+json')).toEqual({ ok: false, reason: 'body must be a single JSON object, got an array' });
    expect(cloudevents.split(one, 'application/cloudevents-batch+json')).toEqual({ ok: false, reason: 'body must be a JSON array (batch), got an object' });
    expect(cloudevents.split(`[${one},${one}]`, 'application/json')).toMatchObject({ ok: true, records: [{}, {}] });
    expect(cloudevents.split('[]', 'application/cloudevents-batch+json')).toEqual({ ok: true, records: [] });
  });
});
