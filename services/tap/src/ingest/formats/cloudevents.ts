// CloudEvents 1.0 in the JSON event format: structured mode (application/cloudevents+json, one
// event), the JSON batch format (application/cloudevents-batch+json, an array), or plain
// application/json holding either.
//
// Envelope: specversion must be "1.0"; id and source are required; data_base64 (binary data) is
// rejected; datacontenttype, when present, must be JSON (application/json or a +json type).
// `type` is not interpreted: an event is accepted by the shape of its data.
//
// data holds either
//  1. a canonical api-request/v1 event ("schema": "api-request/v1"): used as is — its own
//     event_id, gateway and fields win — with the envelope filling event_id
//     (cloudevents:<source>:<id>), timestamp (time) and gateway ({kind: cloudevents}) only where
//     data lacks them; timestamp and path are normalised as for ndjson; or
//  2. a metering-style object such as OpenMeter's API-call events:
//       method, path (or route), status (or status_code / statusCode) — required; a metering
//       event without an HTTP status is rejected rather than assumed successful;
//       duration_ms (or latency_ms, duration) → latency_ms.total; request_bytes, response_bytes;
//       client_ip, user_agent, host, route, api, request_id;
//     with the envelope: event_id = cloudevents:<source>:<id> (source + id is what the spec makes
//     unique; hashed when over 128 characters), timestamp = time (else receivedAt),
//     gateway = { kind: cloudevents, instance: source }, consumer.id = subject (OpenMeter's
//     subject is the customer being metered).
import { API_REQUEST_LIMITS as MAX, API_REQUEST_SCHEMA } from '@tollgate/schemas';
import {
  clientIp, count, eventId, finish, isObj, latency, mediaType, method, pick, required, safeMap,
  safeSplit, splitJsonDocument, splitTarget, status, str, timestamp,
} from './common.ts';
import type { Obj } from './common.ts';
import { mapCanonical } from './ndjson.ts';
import type { InputFormat, MapContext, MapResult, SplitResult } from './types.ts';

function splitCloudEvents(body: string, contentType: string, maxRecords?: number): SplitResult {
  const type = mediaType(contentType);
  if (type === 'application/cloudevents+json') return splitJsonDocument(body, 'object', maxRecords);
  if (type === 'application/cloudevents-batch+json') return splitJsonDocument(body, 'array', maxRecords);
  return splitJsonDocument(body, 'object-or-array', maxRecords);
}

function isJsonContentType(value: string): boolean {
  const type = mediaType(value);
  return type === 'application/json' || type === 'text/json' || type.endsWith('+json');
}

function mapCloudEvent(rec: Obj, ctx: MapContext): MapResult {
  if (rec.specversion !== '1.0') {
    return { ok: false, reason: `specversion must be "1.0", got ${JSON.stringify(rec.specversion) ?? 'nothing'}` };
  }
  const id = str(rec.id);
  const source = str(rec.source);
  if (id === undefined) return { ok: false, reason: 'CloudEvent id is missing' };
  if (source === undefined) return { ok: false, reason: 'CloudEvent source is missing' };
  if (Object.hasOwn(rec, 'data_base64')) return { ok: false, reason: 'data_base64 (binary data) is not supported; send JSON data' };
  const contentType = rec.datacontenttype;
  if (contentType !== undefined && contentType !== null && (typeof contentType !== 'string' || !isJsonContentType(contentType))) {
    return { ok: false, reason: `datacontenttype ${JSON.stringify(contentType)} is not JSON` };
  }
  const data = rec.data;
  if (!isObj(data)) return { ok: false, reason: `data must be a JSON object describing an API request, got ${data === undefined ? 'nothing' : JSON.stringify(data).slice(0, 40)}` };

  let ts: string | undefined;
  if (rec.time !== undefined && rec.time !== null) {
    ts = timestamp(rec.time);
    if (ts === undefined) return { ok: false, reason: `time ${JSON.stringify(rec.time)} is not an RFC 3339 timestamp` };
  }
  const envelopeId = eventId('cloudevents', [source, id], ctx);

  if (data.schema === API_REQUEST_SCHEMA) {
    return mapCanonical(data, {
      event_id: envelopeId,
      timestamp: ts ?? ctx.receivedAt.toISOString(),
      gateway: { kind: 'cloudevents', instance: str(source, MAX.gatewayInstance) },
    });
  }

  const target = splitTarget(pick(data, 'path', 'route', 'uri', 'url'));
  const req = required({
    method: method(pick(data, 'method', 'http_method')),
    path: target?.path,
    status: status(pick(data, 'status', 'status_code', 'statusCode', 'response_code')),
  }, 'data must be an api-request/v1 event or carry method, path and status');
  if (!req.ok) return req;

  const requestId = str(pick(data, 'request_id', 'requestId'));
  const subject = str(rec.subject, MAX.consumerId);
  return finish({
    event_id: envelopeId,
    timestamp: ts ?? ctx.receivedAt.toISOString(),
    gateway: { kind: 'cloudevents', instance: str(source, MAX.gatewayInstance) },
    request_id: requestId !== undefined && requestId.length <= MAX.requestId ? requestId : undefined,
    api: str(pick(data, 'api', 'service'), MAX.api),
    route: str(pick(data, 'route_name', 'route_id'), MAX.route),
    method: req.method,
    path: req.path,
    host: str(pick(data, 'host'), MAX.host),
    status: req.status,
    request_bytes: count(pick(data, 'request_bytes', 'bytes_received')),
    response_bytes: count(pick(data, 'response_bytes', 'bytes_sent')),
    latency_ms: { total: latency(pick(data, 'duration_ms', 'latency_ms', 'duration')) },
    client_ip: clientIp(pick(data, 'client_ip', 'ip')),
    user_agent: str(pick(data, 'user_agent', 'userAgent'), MAX.userAgent),
    consumer: subject !== undefined ? { id: subject } : undefined,
  });
}

export const cloudevents: InputFormat = {
  name: 'cloudevents',
  contentTypes: ['application/cloudevents+json', 'application/cloudevents-batch+json', 'application/json'],
  split: safeSplit(splitCloudEvents),
  map: safeMap(mapCloudEvent),
};
