// One validated event → one usage row (and one latency row when the gateway measured latency).
// Pure: every lookup it needs arrives in EnrichDeps.
import type { BlockList } from 'node:net';
import type { CatalogMatcher } from '@tollgate/catalog';
import { clickHouseTime } from '@tollgate/platform';
import type { ConsumerRecord } from '@tollgate/registry';
import { isRefusedByPolicy, type ApiRequestEvent } from '@tollgate/schemas';
import { resolveClientIp } from './enrich/client-ip.ts';
import { lookupGeo, type Geo } from './enrich/geo.ts';
import { maskIp, type IpPrivacyPolicy } from './enrich/ip-privacy.ts';
import { statusClass } from './enrich/status.ts';

export interface EnrichDeps {
  trustedProxies: BlockList;
  ipPrivacy: IpPrivacyPolicy;
  catalog: CatalogMatcher;
  consumer: (id: string) => ConsumerRecord | undefined;
  /** The consumer owning a live API key, by its credential HMAC: attributes key-only traffic (optional: none attributed without it). */
  keyOwner?: (credentialHmac: string) => string | undefined;
  /** Per-address memo of client IP, geography and mask (optional: pure lookups without it). */
  where?: WhereCache;
}

export interface KafkaPosition {
  partition: number;
  offset: string;
}

/** Columns of api_requests the enricher writes, in the order of each row array. */
export const USAGE_COLUMNS = [
  'event_id', 'ts', 'gateway_kind', 'gateway_instance', 'tap_token', 'request_id', 'api', 'api_version', 'service', 'route',
  'billable', 'decision', 'method', 'host', 'path', 'path_template', 'status', 'status_class', 'request_bytes', 'response_bytes',
  'client_ip', 'country', 'region', 'city', 'timezone', 'latitude', 'longitude', 'eu', 'user_agent',
  'consumer_id', 'consumer_known', 'app_id', 'subject', 'org_id', 'plan_id', 'auth_method', 'credential_hmac', 'kafka_partition', 'kafka_offset',
] as const;

export const LATENCY_COLUMNS = ['event_id', 'ts', 'api', 'upstream_service', 'route', 'status_class', 'total_ms', 'upstream_ms', 'gateway_ms'] as const;

export type Row = Array<string | number | boolean | null>;

export interface EnrichedEvent {
  usage: Row;
  latency: Row | undefined;
  /** The event names a consumer the registry does not know. */
  unknownConsumer: boolean;
}

interface Where {
  /** Masked (truncated or hashed): the raw address is never stored. */
  clientIp: string;
  geo: Geo;
}

function locate(event: Pick<ApiRequestEvent, 'client_ip' | 'forwarded_for'>, deps: Pick<EnrichDeps, 'trustedProxies' | 'ipPrivacy'>): Where {
  const ip = resolveClientIp(event, deps.trustedProxies);
  return { clientIp: maskIp(ip, deps.ipPrivacy), geo: lookupGeo(ip) };
}

/**
 * Client address, its geography and its stored (masked) form depend only on the addresses the
 * event carries: remembered per address, because traffic repeats its clients and the lookups
 * (range checks, the geo tables, the mask) cost more than the rest of an event's enrichment.
 */
export class WhereCache {
  private readonly entries = new Map<string, Where>();

  constructor(private readonly capacity = 100_000) {}

  lookup(event: Pick<ApiRequestEvent, 'client_ip' | 'forwarded_for'>, deps: Pick<EnrichDeps, 'trustedProxies' | 'ipPrivacy'>): Where {
    const key = event.forwarded_for ? `${event.client_ip ?? ''}|${event.forwarded_for.join(',')}` : (event.client_ip ?? '');
    let where = this.entries.get(key);
    if (where === undefined) {
      where = locate(event, deps);
      // Bounded: start over rather than keep an eviction order on the hot path.
      if (this.entries.size >= this.capacity) this.entries.clear();
      this.entries.set(key, where);
    }
    return where;
  }
}

/**
 * The consumer a call is billed to: the id the gateway logged, else the owner of the API key it
 * presented (a call identified only by its key), else none.
 */
function consumerOf(event: ApiRequestEvent, deps: EnrichDeps): string {
  if (event.consumer?.id) return event.consumer.id;
  const hmac = event.consumer?.credential_hmac;
  return (hmac && deps.keyOwner?.(hmac)) || '';
}

export function enrichEvent(event: ApiRequestEvent, deps: EnrichDeps, position: KafkaPosition): EnrichedEvent {
  const ts = clickHouseTime(event.timestamp);
  const { clientIp, geo } = deps.where ? deps.where.lookup(event, deps) : locate(event, deps);
  const catalog = deps.catalog(event);
  const consumerId = consumerOf(event, deps);
  const known = consumerId === '' ? undefined : deps.consumer(consumerId);
  const status = statusClass(event.status);

  const usage: Row = [
    event.event_id,
    ts,
    event.gateway.kind,
    event.gateway.instance ?? '',
    event.tap_token ?? '',
    event.request_id ?? '',
    catalog.api,
    catalog.apiVersion,
    event.api ?? '',
    event.route ?? '',
    // A call Tollgate's policy refused is shown, never billed nor counted against a quota.
    catalog.billable && !isRefusedByPolicy(event.decision),
    event.decision ?? '',
    event.method,
    event.host ?? '',
    event.path,
    catalog.pathTemplate,
    event.status,
    status,
    event.request_bytes ?? 0,
    event.response_bytes ?? 0,
    clientIp,
    geo.country,
    geo.region,
    geo.city,
    geo.timezone,
    geo.latitude,
    geo.longitude,
    geo.eu,
    event.user_agent ?? '',
    consumerId,
    known !== undefined,
    event.consumer?.app_id ?? '',
    event.consumer?.subject ?? '',
    known?.org_id || event.consumer?.org_id || '',
    known?.plan_id ?? '',
    event.consumer?.auth_method ?? '',
    event.consumer?.credential_hmac ?? '',
    position.partition,
    position.offset,
  ];

  const l = event.latency_ms;
  const latency: Row | undefined =
    l && (l.total !== undefined || l.upstream !== undefined || l.gateway !== undefined)
      ? [event.event_id, ts, catalog.api, event.upstream?.service ?? '', event.route ?? '', status, l.total ?? null, l.upstream ?? null, l.gateway ?? null]
      : undefined;

  return { usage, latency, unknownConsumer: consumerId !== '' && known === undefined };
}
