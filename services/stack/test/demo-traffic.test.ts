// The demo traffic must be exactly what the gateways ship: every batch goes through the tap's own
// parsers, and what comes out must be plausible (geography, statuses, plans) and reproducible.
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequestEvent } from '@tollgate/schemas';
import { DEFAULT_PLANS_FILE, loadPlansFile } from '@tollgate/pricing';
import { formats, type MapContext } from '@tollgate/tap';
import { DEMO_CONSUMERS, DEMO_FORMAT_SHARES, DEMO_STATUS_MIX, demoTraffic } from '../src/demo-traffic.ts';
import type { DemoBatch } from '../src/demo-traffic.ts';

interface GeoipLite {
  lookup(ip: string): { country: string; city: string } | null;
}
const geoip = createRequire(import.meta.url)('geoip-lite') as GeoipLite;

const NOW = new Date('2026-11-26T12:00:00.000Z');
const DAYS = 14;
const EVENTS = 30_000;
const PLANS_FILE = DEFAULT_PLANS_FILE;

function context(): MapContext {
  let next = 0;
  return {
    receivedAt: NOW,
    newId: () => `gen-${++next}`,
    hmac: (secret) => createHmac('sha256', 'test-key').update(secret).digest('hex'),
    secretQueryParams: new Set(['apikey', 'api_key', 'token', 'access_token']),
  };
}

interface Parsed {
  events: ApiRequestEvent[];
  byFormat: Map<string, ApiRequestEvent[]>;
  rejections: string[];
}

function parse(batches: DemoBatch[]): Parsed {
  const ctx = context();
  const events: ApiRequestEvent[] = [];
  const byFormat = new Map<string, ApiRequestEvent[]>();
  const rejections: string[] = [];
  batches.forEach((batch, b) => {
    const format = formats[batch.format];
    const split = format.split(batch.body, batch.contentType);
    if (!split.ok) {
      rejections.push(`batch ${b} (${batch.format}) refused: ${split.reason}`);
      return;
    }
    if (split.records.length !== batch.records) rejections.push(`batch ${b} (${batch.format}) has ${split.records.length} records, says ${batch.records}`);
    split.records.forEach((record, i) => {
      const result = format.map(record, ctx);
      if (!result.ok) {
        rejections.push(`batch ${b} (${batch.format}) record ${i}: ${result.reason}`);
        return;
      }
      events.push(result.event);
      const list = byFormat.get(batch.format) ?? [];
      list.push(result.event);
      byFormat.set(batch.format, list);
    });
  });
  return { events, byFormat, rejections };
}

const share = (events: ApiRequestEvent[], test: (e: ApiRequestEvent) => boolean): number =>
  events.filter(test).length / events.length;

describe('demoTraffic', () => {
  let batches: DemoBatch[];
  let parsed: Parsed;

  beforeAll(() => {
    const started = performance.now();
    batches = demoTraffic({ now: NOW, days: DAYS, events: EVENTS, seed: 42 });
    const elapsed = performance.now() - started;
    const bytes = batches.reduce((sum, b) => sum + Buffer.byteLength(b.body), 0);
    console.log(`demoTraffic: ${EVENTS} events in ${batches.length} batches, ${(bytes / 1e6).toFixed(1)} MB, generated in ${elapsed.toFixed(0)} ms`);
    parsed = parse(batches);
  });

  it('is accepted by the tap parsers without a single rejection, with the right content types', () => {
    expect(parsed.rejections.slice(0, 10)).toEqual([]);
    expect(parsed.events).toHaveLength(EVENTS);
    expect(batches.reduce((sum, b) => sum + b.records, 0)).toBe(EVENTS);
    const contentTypes = Object.fromEntries(batches.map((b) => [b.format, b.contentType]));
    expect(contentTypes).toEqual({
      kong: 'application/json',
      envoy: 'application/x-ndjson',
      apisix: 'application/json',
      nginx: 'application/x-ndjson',
      ndjson: 'application/x-ndjson',
      cloudevents: 'application/cloudevents-batch+json',
    });
    for (const batch of batches) {
      expect(formats[batch.format].contentTypes).toContain(batch.contentType);
      expect(batch.records).toBeLessThanOrEqual(1000);
      expect(Buffer.byteLength(batch.body)).toBeLessThan(10 * 1024 * 1024); // the tap's default body limit
      if (batch.contentType === 'application/json' || batch.format === 'cloudevents') expect(batch.body.startsWith('[')).toBe(true);
      else expect(batch.body.split('\n').filter((l) => l !== '')).toHaveLength(batch.records);
    }
  });

  it('splits the events across the formats in the intended shares, in batches of batchSize', () => {
    for (const [format, intended] of Object.entries(DEMO_FORMAT_SHARES)) {
      expect(parsed.byFormat.get(format)?.length ?? 0, format).toBeCloseTo(EVENTS * intended, -1);
    }
    const small = demoTraffic({ now: NOW, days: 2, events: 1_000, seed: 7, batchSize: 50 });
    expect(small.every((b) => b.records <= 50)).toBe(true);
    expect(small.reduce((sum, b) => sum + b.records, 0)).toBe(1_000);
    expect(demoTraffic({ now: NOW, days: 1, events: 0 })).toEqual([]);
  });

  it('gives every event a unique id, from the gateways own request ids', () => {
    const ids = new Set(parsed.events.map((e) => e.event_id));
    expect(ids.size).toBe(EVENTS);
    expect(parsed.events.filter((e) => e.event_id.startsWith('gen-'))).toEqual([]);
    const kinds = new Set(parsed.events.map((e) => e.gateway.kind));
    expect([...kinds].sort()).toEqual(['apisix', 'cloudevents', 'envoy', 'fastify', 'istio', 'kong', 'nginx']);
  });

  it('keeps every timestamp within the window, with a daily rhythm', () => {
    const from = NOW.getTime() - DAYS * 86_400_000;
    const times = parsed.events.map((e) => Date.parse(e.timestamp));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(from);
    expect(Math.max(...times)).toBeLessThanOrEqual(NOW.getTime());
    // Each body is in time order, and the bodies are returned oldest first.
    const ctx = context();
    const firsts = batches.map((batch) => {
      const split = formats[batch.format].split(batch.body, batch.contentType);
      const records = split.ok ? split.records : [];
      const stamps = records.map((r) => formats[batch.format].map(r, ctx)).map((m) => (m.ok ? Date.parse(m.event.timestamp) : NaN));
      expect(stamps, batch.format).toEqual([...stamps].sort((a, b) => a - b));
      return stamps[0] ?? NaN;
    });
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
    // European traffic peaks in the European afternoon and is quiet at night.
    const european = parsed.events.filter((e) => ['DE', 'FR', 'NL', 'ES', 'IT', 'IE', 'GB'].includes(geoip.lookup(e.client_ip ?? '')?.country ?? ''));
    const hour = (e: ApiRequestEvent) => new Date(e.timestamp).getUTCHours();
    const afternoon = european.filter((e) => hour(e) >= 12 && hour(e) < 15).length;
    const night = european.filter((e) => hour(e) >= 0 && hour(e) < 3).length;
    expect(afternoon).toBeGreaterThan(night * 3);
  });

  it('comes from public addresses in at least 12 countries on every continent, IPv6 included', () => {
    const countries = new Map<string, number>();
    const cities = new Set<string>();
    let ipv6 = 0;
    for (const event of parsed.events) {
      const ip = event.client_ip;
      expect(ip).toBeDefined();
      if (ip === undefined) continue;
      if (ip.includes(':')) ipv6++;
      const geo = geoip.lookup(ip);
      expect(geo, ip).not.toBeNull();
      if (geo === null) continue;
      countries.set(geo.country, (countries.get(geo.country) ?? 0) + 1);
      if (geo.city) cities.add(`${geo.country}/${geo.city}`);
    }
    console.log(`countries: ${[...countries].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`).join(', ')}; cities: ${cities.size}; IPv6: ${ipv6}`);
    expect(countries.size).toBeGreaterThanOrEqual(12);
    for (const continent of [['US', 'CA', 'MX'], ['BR', 'AR', 'CO', 'CL'], ['DE', 'GB', 'FR', 'NL'], ['NG', 'KE', 'ZA', 'GH', 'EG'], ['JP', 'KR', 'IN', 'SG'], ['AU', 'NZ']]) {
      expect(continent.some((c) => countries.has(c)), continent.join('/')).toBe(true);
    }
    expect(ipv6 / EVENTS).toBeGreaterThan(0.03);
  });

  it('has the intended status mix, with one API clearly flakier than the rest', () => {
    const events = parsed.events;
    const s2 = share(events, (e) => e.status >= 200 && e.status < 300);
    const s4 = share(events, (e) => e.status >= 400 && e.status < 500);
    const s5 = share(events, (e) => e.status >= 500);
    console.log(`statuses: 2xx ${(s2 * 100).toFixed(1)}%, 4xx ${(s4 * 100).toFixed(1)}%, 5xx ${(s5 * 100).toFixed(1)}%`);
    expect(Math.abs(s2 - DEMO_STATUS_MIX['2xx'])).toBeLessThanOrEqual(0.02);
    expect(Math.abs(s4 - DEMO_STATUS_MIX['4xx'])).toBeLessThanOrEqual(0.02);
    expect(Math.abs(s5 - DEMO_STATUS_MIX['5xx'])).toBeLessThanOrEqual(0.02);
    const statuses = new Set(events.map((e) => e.status));
    for (const s of [200, 201, 204, 401, 404, 429, 500, 502, 503]) expect(statuses.has(s), String(s)).toBe(true);

    const errorRate = (api: string) => share(events.filter((e) => e.path.startsWith(api)), (e) => e.status >= 500);
    const flaky = errorRate('/v1/shipments');
    for (const other of ['/v1/search', '/v1/catalog', '/v1/orders', '/v1/users', '/v1/payments']) {
      expect(flaky, other).toBeGreaterThan(errorRate(other) * 2.5);
    }
  });

  it('calls a handful of APIs with realistic paths, a skewed popularity and long-tailed latencies', () => {
    const prefixes = ['/v1/search', '/v1/catalog', '/v1/orders', '/v1/users', '/v1/payments', '/v1/shipments'];
    const counts = prefixes.map((p) => parsed.events.filter((e) => e.path.startsWith(p)).length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(EVENTS);
    console.log(`APIs: ${prefixes.map((p, i) => `${p} ${counts[i]}`).join(', ')}`);
    const sorted = [...counts].sort((a, b) => b - a);
    expect(sorted[0] ?? 0).toBeGreaterThan((sorted[5] ?? 0) * 2.5);
    const paths = parsed.events.map((e) => e.path);
    expect(paths.some((p) => /^\/v1\/orders\/\d+$/.test(p))).toBe(true);
    expect(paths.some((p) => /^\/v1\/payments\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(p))).toBe(true);
    expect(paths).toContain('/v1/users/me');
    expect(paths).toContain('/v1/search');
    expect(paths.some((p) => p.includes('?'))).toBe(false);
    expect(new Set(parsed.events.map((e) => e.method))).toEqual(new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));

    const totals = parsed.events.map((e) => e.latency_ms?.total).filter((t): t is number => t !== undefined).sort((a, b) => a - b);
    const quantile = (q: number) => totals[Math.floor(q * (totals.length - 1))] ?? 0;
    console.log(`latency total: p50 ${quantile(0.5)} ms, p95 ${quantile(0.95)} ms, p99 ${quantile(0.99)} ms, max ${quantile(1)} ms`);
    expect(quantile(0.99)).toBeGreaterThan(quantile(0.5) * 5);
  });

  it('identifies consumers in every format, with a skewed activity and ~5% anonymous traffic', async () => {
    const known = new Set(DEMO_CONSUMERS.map((c) => c.id));
    for (const [format, events] of parsed.byFormat) {
      const ids = new Set(events.map((e) => e.consumer?.id).filter((id) => id !== undefined));
      expect([...ids].filter((id) => !known.has(id)), format).toEqual([]);
      expect(ids.size, format).toBeGreaterThanOrEqual(10);
    }
    const anonymous = share(parsed.events, (e) => e.consumer?.id === undefined);
    // ~5% anonymous plus the few callers whose key was refused (401 carries no consumer).
    expect(anonymous).toBeGreaterThan(0.04);
    expect(anonymous).toBeLessThan(0.07);
    const perConsumer = DEMO_CONSUMERS.map((c) => parsed.events.filter((e) => e.consumer?.id === c.id).length);
    expect(perConsumer[0] ?? 0).toBeGreaterThan((perConsumer[perConsumer.length - 1] ?? 0) * 4);

    const catalog = await loadPlansFile(PLANS_FILE);
    for (const consumer of DEMO_CONSUMERS) expect(catalog.plans.has(consumer.plan), `${consumer.id}: ${consumer.plan}`).toBe(true);
    expect(new Set(DEMO_CONSUMERS.map((c) => c.plan))).toEqual(new Set(catalog.plans.keys()));
    const orgs = new Set(DEMO_CONSUMERS.map((c) => c.org));
    expect(orgs.size).toBeGreaterThanOrEqual(5);
    expect(orgs.size).toBeLessThanOrEqual(6);
    expect(DEMO_CONSUMERS.every((c) => /@[a-z0-9.-]+\.example\.(com|org)$/.test(c.email))).toBe(true);
    expect(new Set(DEMO_CONSUMERS.map((c) => c.id)).size).toBe(DEMO_CONSUMERS.length);
  });

  it('is deterministic: the same seed gives identical bodies, another seed different ones', () => {
    const again = demoTraffic({ now: NOW, days: DAYS, events: EVENTS, seed: 42 });
    expect(again).toEqual(batches);
    const other = demoTraffic({ now: NOW, days: DAYS, events: EVENTS, seed: 43 });
    expect(other.map((b) => b.body)).not.toEqual(batches.map((b) => b.body));
    const otherIds = new Set(parse(other).events.map((e) => e.event_id));
    expect(parsed.events.filter((e) => otherIds.has(e.event_id))).toHaveLength(0);
  });
});
