// Envoy and Istio JSON access logs, one JSON object per line (a JSON array is accepted too).
//
// Key names accepted (first present wins; null, "" and "-" count as absent):
//   Istio default JSON (meshConfig.accessLogEncoding: JSON) and Envoy json_format users who name
//   keys after the value:   start_time, method, path, protocol, response_code, bytes_received,
//   bytes_sent, duration, upstream_service_time, x_forwarded_for, user_agent, request_id,
//   authority, upstream_cluster, upstream_host, downstream_remote_address, route_name
//   Envoy Gateway's default JSON, which names keys after the header:  x-envoy-origin-path,
//   x-envoy-upstream-service-time, x-forwarded-for, user-agent, x-request-id, :authority
//   Envoy command operators used as keys:  START_TIME, METHOD / :method, PATH / :path,
//   RESPONSE_CODE, BYTES_RECEIVED, BYTES_SENT, DURATION, X-ENVOY-UPSTREAM-SERVICE-TIME, ...
//
// Mapping: timestamp = start_time; latency total = duration (ms), upstream = upstream service
// time (the x-envoy-upstream-service-time value, ms; no gateway share is derived); path = path
// without its query (Envoy logs the query); host = authority; upstream.service = upstream_cluster,
// upstream.address = upstream_host; client_ip = downstream_remote_address without its port;
// route = route_name; instance = pod_name | hostname | ctx.gatewayInstance.
//
// Tollgate's decision (ext_authz to /v1/authorize): decision = tollgate_decision |
// x-tollgate-decision, consumer.id = tollgate_consumer | x-tollgate-consumer, else consumer_id |
// x-consumer-id. Log them from the response, which only ext_authz or the upstream can set, never
// the client (a decision other than allow makes a call unbillable), and send them on success too
// (ext_authz http_service.authorization_response.allowed_client_headers_on_success):
//   "tollgate_decision": "%RESP(X-TOLLGATE-DECISION)%", "tollgate_consumer": "%RESP(X-TOLLGATE-CONSUMER)%"
//
// Kind: 'istio' when upstream_cluster is an Istio cluster name ("outbound|8000||httpbin.foo.svc
// .cluster.local", "inbound|…", "inbound-vip|…") or the record has Istio-only keys
// (istio_policy_status); then api = the service FQDN from the cluster name. Otherwise 'envoy'.
//
// event_id: <kind>:<x-request-id>:<start ms>. The x-request-id alone is not unique: Istio and
// Envoy propagate it across hops (an app forwarding it to the next service) and a client can set
// it where Envoy preserves external request ids. The start time keeps re-shipped lines
// idempotent while telling apart different requests that share an id.
import { API_REQUEST_LIMITS as MAX } from '@tollgate/schemas';
import {
  clientIp, count, credentialFrom, epochMs, eventId, finish, forwardedFor, gatewayDecision, latency, method, pick,
  required, safeMap, parseJsonLine, safeSplit, splitNdjson, splitTarget, recordTime, status, str,
} from './common.ts';
import type { Obj } from './common.ts';
import type { InputFormat, MapContext, MapResult } from './types.ts';

const K = {
  start: ['start_time', 'START_TIME', 'timestamp', '@timestamp'],
  method: ['method', ':method', 'METHOD', 'request_method'],
  path: ['path', 'x-envoy-origin-path', 'x-envoy-original-path', ':path', 'PATH', 'x_envoy_original_path'],
  status: ['response_code', 'RESPONSE_CODE', 'status', 'status_code'],
  bytesIn: ['bytes_received', 'BYTES_RECEIVED'],
  bytesOut: ['bytes_sent', 'BYTES_SENT'],
  duration: ['duration', 'DURATION'],
  upstreamTime: ['upstream_service_time', 'x-envoy-upstream-service-time', 'x_envoy_upstream_service_time', 'X-ENVOY-UPSTREAM-SERVICE-TIME'],
  xff: ['x_forwarded_for', 'x-forwarded-for', 'X-FORWARDED-FOR'],
  userAgent: ['user_agent', 'user-agent', 'USER-AGENT'],
  requestId: ['request_id', 'x-request-id', 'x_request_id', 'X-REQUEST-ID'],
  authority: ['authority', ':authority', 'host', 'AUTHORITY'],
  cluster: ['upstream_cluster', 'UPSTREAM_CLUSTER'],
  upstreamHost: ['upstream_host', 'UPSTREAM_HOST'],
  remote: ['downstream_remote_address', 'DOWNSTREAM_REMOTE_ADDRESS', 'downstream_direct_remote_address'],
  route: ['route_name', 'ROUTE_NAME'],
  instance: ['pod_name', 'hostname', 'node'],
  consumer: ['tollgate_consumer', 'x-tollgate-consumer', 'x_tollgate_consumer', 'X-TOLLGATE-CONSUMER', 'consumer_id', 'x-consumer-id', 'x_consumer_id'],
  decision: ['tollgate_decision', 'x-tollgate-decision', 'x_tollgate_decision', 'X-TOLLGATE-DECISION'],
} as const;

const ISTIO_CLUSTER = /^(outbound|inbound|inbound-vip)\|/;

function mapEnvoy(rec: Obj, ctx: MapContext): MapResult {
  const target = splitTarget(pick(rec, ...K.path));
  const req = required({
    method: method(pick(rec, ...K.method)),
    path: target?.path,
    status: status(pick(rec, ...K.status)),
  }, 'expected Envoy/Istio access log keys such as method, path, response_code');
  if (!req.ok) return req;

  const cluster = str(pick(rec, ...K.cluster));
  const istio = (cluster !== undefined && ISTIO_CLUSTER.test(cluster)) || Object.hasOwn(rec, 'istio_policy_status');
  const kind = istio ? 'istio' : 'envoy';
  const time = recordTime(pick(rec, ...K.start), 'start_time', ctx);
  if (!time.ok) return time;
  const ts = time.ts;
  const requestId = str(pick(rec, ...K.requestId));

  // Identity only if the operator chose to log it; credentials are hashed, never copied.
  const credential = credentialFrom(rec, target?.query, ctx);
  const consumerId = str(pick(rec, ...K.consumer), MAX.consumerId);

  return finish({
    event_id: eventId(kind, [requestId, epochMs(ts)], ctx),
    timestamp: ts,
    gateway: { kind, instance: str(pick(rec, ...K.instance), MAX.gatewayInstance) ?? ctx.gatewayInstance },
    request_id: requestId !== undefined && requestId.length <= MAX.requestId ? requestId : undefined,
    api: istio && cluster !== undefined ? str(cluster.split('|')[3], MAX.api) : undefined,
    route: str(pick(rec, ...K.route), MAX.route),
    method: req.method,
    path: req.path,
    host: str(pick(rec, ...K.authority), MAX.host),
    status: req.status,
    request_bytes: count(pick(rec, ...K.bytesIn)),
    response_bytes: count(pick(rec, ...K.bytesOut)),
    latency_ms: {
      total: latency(pick(rec, ...K.duration)),
      upstream: latency(pick(rec, ...K.upstreamTime)),
    },
    upstream: { service: str(cluster, MAX.upstreamService), address: str(pick(rec, ...K.upstreamHost), MAX.upstreamAddress) },
    client_ip: clientIp(pick(rec, ...K.remote)),
    forwarded_for: forwardedFor(pick(rec, ...K.xff)),
    user_agent: str(pick(rec, ...K.userAgent), MAX.userAgent),
    decision: gatewayDecision(pick(rec, ...K.decision)),
    consumer: { ...credential, id: consumerId },
  });
}

export const envoy: InputFormat = {
  name: 'envoy',
  contentTypes: ['application/x-ndjson', 'application/json', 'text/plain'],
  split: safeSplit((body, _type, maxRecords) => splitNdjson(body, maxRecords)),
  map: safeMap(mapEnvoy),
  parseLine: parseJsonLine,
};
