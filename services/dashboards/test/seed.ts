// Test data: a handful of consumers on known plans, two blocks of traffic (an "early" block and a
// "late" one) inserted into api_requests (which feeds the rollups through the materialized views)
// and request_latency (which feeds latency_minute). The expected figures below are derived by hand.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import { writeConsumers } from '@tollgate/registry';

export const TEST_PLANS_YAML = `version: 1
plans:
  starter:
    name: Starter
    currency: EUR
    base_fee: "10.00"
    meters:
      - { id: calls, description: API calls, unit: requests, included_units: 100, price: { model: per_unit, unit_price: "0.01" } }
  business:
    name: Business
    currency: USD
    meters:
      - id: calls
        description: API calls
        unit: requests
        price: { model: per_unit, unit_price: "0.02" }
        api_overrides:
          payments: { model: per_unit, unit_price: "0.05" }
  jp:
    name: Japan
    currency: JPY
    meters:
      - { id: calls, description: calls, unit: requests, filter: { methods: [GET, POST] }, price: { model: per_unit, unit_price: "3" } }
`;

export function writeTestPlans(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/plans.yaml`;
  writeFileSync(file, TEST_PLANS_YAML);
  return file;
}

interface Where {
  country: string;
  region: string;
  city: string;
  latitude: number;
  longitude: number;
}
const BERLIN: Where = { country: 'DE', region: 'BE', city: 'Berlin', latitude: 52.52, longitude: 13.405 };
const NEW_YORK: Where = { country: 'US', region: 'NY', city: 'New York', latitude: 40.7128, longitude: -74.006 };
const TOKYO: Where = { country: 'JP', region: '13', city: 'Tokyo', latitude: 35.6895, longitude: 139.6917 };
const NOWHERE: Where = { country: '', region: '', city: '', latitude: 0, longitude: 0 };

const CONSUMERS = {
  alice: { org: 'acme', plan: 'starter', where: BERLIN },
  bob: { org: 'acme', plan: 'business', where: NEW_YORK },
  jun: { org: 'nippon', plan: 'jp', where: TOKYO },
  anon: { org: '', plan: '', where: NOWHERE },
} as const;
type ConsumerName = keyof typeof CONSUMERS;

/** [consumer, api, method, status, count] */
type Batch = [ConsumerName, string, string, number, number];

export const EARLY: readonly Batch[] = [
  ['alice', 'search', 'GET', 200, 120],
  ['alice', 'search', 'GET', 404, 10],
  ['alice', 'search', 'GET', 503, 5],
  ['alice', 'geo', 'GET', 200, 30],
  ['bob', 'payments', 'POST', 201, 40],
  ['bob', 'payments', 'POST', 500, 4],
  ['bob', 'search', 'GET', 200, 20],
  ['jun', 'geo', 'GET', 200, 15],
  ['jun', 'geo', 'OPTIONS', 204, 5],
  ['jun', 'geo', 'POST', 502, 3],
  ['anon', 'search', 'GET', 200, 6],
];
export const LATE: readonly Batch[] = [
  ['alice', 'search', 'GET', 200, 8],
  ['bob', 'payments', 'POST', 200, 4],
  ['bob', 'payments', 'POST', 500, 1],
];

export const callsOf = (batches: readonly Batch[], filter: (b: Batch) => boolean = () => true): number =>
  batches.filter(filter).reduce((sum, b) => sum + b[4], 0);

const UPSTREAM: Record<string, string> = { search: 'search-svc', geo: 'geo-svc', payments: 'payments-svc' };

/** Spreads each block's events evenly over `spreadMs` from `start`. */
export async function seed(client: ClickHouseClient, database: string, blocks: { start: Date; spreadMs: number; batches: readonly Batch[] }[]): Promise<void> {
  await writeConsumers(client, database, [
    { consumer_id: 'alice', org_id: 'acme', name: 'Alice Example', email: 'alice@example.com', plan_id: 'starter', stripe_customer_id: '', tags: [], metadata: {}, status: 'active', blocked_apis: [] },
    { consumer_id: 'bob', org_id: 'acme', name: 'Bob Example', email: 'bob@example.com', plan_id: 'business', stripe_customer_id: '', tags: [], metadata: {}, status: 'active', blocked_apis: [] },
    { consumer_id: 'jun', org_id: 'nippon', name: 'Jun Example', email: 'jun@example.com', plan_id: 'jp', stripe_customer_id: '', tags: [], metadata: {}, status: 'active', blocked_apis: [] },
  ]);
  let id = 0;
  for (const [b, block] of blocks.entries()) {
    const total = callsOf(block.batches);
    const usage: Record<string, unknown>[] = [];
    const latency: Record<string, unknown>[] = [];
    let i = 0;
    for (const [name, api, method, status, count] of block.batches) {
      const consumer = CONSUMERS[name];
      for (let n = 0; n < count; n++, i++, id++) {
        const ts = new Date(block.start.getTime() + Math.floor((i * block.spreadMs) / total)).toISOString();
        const event_id = `e${b}-${id}`;
        const statusClass = `${Math.floor(status / 100)}xx`;
        usage.push({
          event_id,
          ts,
          api,
          service: UPSTREAM[api],
          method,
          status,
          status_class: statusClass,
          billable: status < 500,
          request_bytes: 100,
          response_bytes: 1000,
          consumer_id: name,
          consumer_known: name !== 'anon',
          org_id: consumer.org,
          plan_id: consumer.plan,
          ...consumer.where,
        });
        // total_ms 1..100 per API (every 10th request has no measurement): p50 ≈ 50, p99 ≈ 99.
        latency.push({ event_id, ts, api, upstream_service: UPSTREAM[api], route: `/${api}`, status_class: statusClass, total_ms: n % 10 === 9 ? null : (n % 100) + 1, upstream_ms: null, gateway_ms: 1 });
      }
    }
    const settings = { date_time_input_format: 'best_effort' } as const;
    await client.insert({ table: `${database}.api_requests`, values: usage, format: 'JSONEachRow', clickhouse_settings: settings });
    await client.insert({ table: `${database}.request_latency`, values: latency, format: 'JSONEachRow', clickhouse_settings: settings });
  }
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A fixed day three days ago (UTC midnight): early traffic 02:00–03:00, late traffic 10:00–10:30. */
export function fixedDay(now = new Date()): { day: Date; early: Date; late: Date } {
  const day = new Date(Math.floor(now.getTime() / DAY) * DAY - 3 * DAY);
  return { day, early: new Date(day.getTime() + 2 * HOUR), late: new Date(day.getTime() + 10 * HOUR) };
}
