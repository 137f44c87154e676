// Demo traffic for `npm start`: request logs exactly as Kong, Envoy/Istio, APISIX, NGINX, an
// app-side middleware (canonical NDJSON) and a CloudEvents metering sink would ship them to the
// tap's `POST /v1/ingest/{format}` routes. Pure and deterministic: the same options (seed
// included) give byte-identical bodies; nothing here reads the clock, the network or Math.random.
//
// Shape of the traffic:
//   time         spread over the `days` before `now`, following each client region's working day
//                (peak ~14:00 local, quiet nights, lighter weekends).
//   formats      exact shares: kong 30%, envoy (Istio ingress gateway) 20%, apisix 15%, nginx 15%,
//                ndjson 10%, cloudevents 10%; each format's records are time-ordered and cut into
//                bodies of `batchSize` records; the batches are returned in time order.
//   APIs         six products with a Zipf-like popularity (search > catalog > orders > users >
//                payments > shipping), shifted by each consumer's own use (a logistics firm calls
//                shipping, a payment firm payments). Paths carry ids, UUIDs and query strings.
//   consumers    DEMO_CONSUMERS, Zipf-like activity in array order; ~5% anonymous traffic.
//   statuses     ~90% 2xx, ~7% 4xx (401 mostly anonymous, 404, 429 mostly free plan), ~3% 5xx
//                (500/502/503); shipping (third-party carriers) fails ~4x as often as the rest.
//   clients      each consumer has a few fixed addresses, mostly in its organisation's home
//                region, some abroad; real public IPv4/IPv6 ranges that geoip-lite places on
//                every continent. Anonymous callers come from anywhere.
//   latency      per-API log-normal upstream time with a rare Pareto tail; a few ms of gateway.
//   the month    with the plans given (`plans`), the money story on any day of the month: extra calls
//                from the month's start to `now` that take MONTH_STORY's consumers past their
//                included units or hard quota, and calls beyond a hard quota refused by Tollgate's
//                policy point (429 with decision "quota" in the gateway's log), as billing would.
// How gateways name an API differs, as it does in production: Kong `service.name`, APISIX
// `service_id`, the canonical events and CloudEvents use the product id ('orders'); Istio names
// it by the upstream cluster ('orders.shop.svc.cluster.local'); NGINX by its server_name
// ('orders.api.example.com').
import { seededRandom } from '@tollgate/platform';
import { DECISION_HEADER } from '@tollgate/schemas';
import { periodOf, quotaState, type Plan, type PlanCatalog, type StatusClass } from '@tollgate/pricing';

export interface DemoConsumer {
  id: string;
  org: string;
  name: string;
  email: string;
  plan: string;
}

export type DemoFormat = 'kong' | 'envoy' | 'apisix' | 'nginx' | 'ndjson' | 'cloudevents';

export interface DemoBatch {
  format: DemoFormat;
  contentType: string;
  body: string;
  records: number;
}

export interface DemoTrafficOptions {
  now: Date;
  days: number;
  events: number;
  seed?: number;
  batchSize?: number;
  /**
   * The plans the consumers are registered with. Given, the set also tells the month's story
   * (MONTH_STORY): extra calls from the month's start to `now` that take some consumers past their
   * included units and some to their hard quota, and every hard-quota plan's calls beyond the
   * quota refused by Tollgate's policy point (429, decision "quota") as the gateway would log them.
   */
  plans?: PlanCatalog;
}

/** The background `npm start` feeds: the days before now, and how many events over them. */
export const DEMO_BACKGROUND = { days: 3, events: 30_000 } as const;

/** Intended shares of status classes over the whole set (the generator aims at these). */
export const DEMO_STATUS_MIX = { '2xx': 0.9, '4xx': 0.07, '5xx': 0.03 } as const;

/** Intended shares of the input formats (exact, up to rounding). */
export const DEMO_FORMAT_SHARES: Readonly<Record<DemoFormat, number>> = {
  kong: 0.3,
  envoy: 0.2,
  apisix: 0.15,
  nginx: 0.15,
  ndjson: 0.1,
  cloudevents: 0.1,
};

const CONTENT_TYPES: Readonly<Record<DemoFormat, string>> = {
  kong: 'application/json',
  envoy: 'application/x-ndjson',
  apisix: 'application/json',
  nginx: 'application/x-ndjson',
  ndjson: 'application/x-ndjson',
  cloudevents: 'application/cloudevents-batch+json',
};

const FORMAT_ORDER: readonly DemoFormat[] = ['kong', 'envoy', 'apisix', 'nginx', 'ndjson', 'cloudevents'];

// ---- randomness ----------------------------------------------------------------------------------

type Rng = () => number;


/** MurmurHash3's finaliser: a bijection on 32-bit integers, so distinct inputs give distinct outputs. */
function fmix32(input: number): number {
  let h = input >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return fmix32(h);
}

const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** Four 32-bit words; the first is a bijection of (n + salt), so ids built from it never repeat. */
function idWords(n: number, salt: number): [number, number, number, number] {
  const w0 = fmix32((n + salt) >>> 0);
  const w1 = fmix32(w0 ^ 0x9e3779b9 ^ salt);
  const w2 = fmix32(w1 ^ 0x7f4a7c15 ^ n);
  const w3 = fmix32(w2 ^ 0x94d049bb ^ salt);
  return [w0, w1, w2, w3];
}

function uuidOf(words: readonly [number, number, number, number]): string {
  const [a, b, c, d] = words.map(hex8) as [string, string, string, string];
  const variant = '89ab'[(words[2] >>> 28) & 3] ?? '8';
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4, 8)}${d}`;
}

const hex32Of = (words: readonly number[]): string => words.map(hex8).join('');

/** A fixed UUID for a named configuration object (Kong route/service ids): independent of the seed. */
function stableUuid(name: string): string {
  const h = hashString(name);
  return uuidOf(idWords(h, hashString(`${name}#salt`)));
}

function pick<T>(items: readonly T[], rng: Rng): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** Cumulative-weight sampler. */
function weighted<T>(items: readonly T[], weightOf: (item: T, index: number) => number): (rng: Rng) => T {
  const cumulative: number[] = [];
  let total = 0;
  items.forEach((item, index) => {
    total += Math.max(0, weightOf(item, index));
    cumulative.push(total);
  });
  return (rng) => {
    const x = rng() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] ?? 0) > x) hi = mid;
      else lo = mid + 1;
    }
    const item = items[lo];
    if (item === undefined) throw new Error('weighted pick from an empty list');
    return item;
  };
}

function normal(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function logNormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

// ---- geography -----------------------------------------------------------------------------------

type RegionId = 'north-america' | 'europe' | 'japan-korea' | 'south-america' | 'africa' | 'oceania' | 'south-asia';

interface IpRange {
  country: string;
  /** '73.0.0.' (a /24, any host 1..254) or '2600:1700::' (two random low groups appended). */
  prefix: string;
  weight: number;
}

interface Region {
  /** Hours from UTC of the region's business day, for the daily rhythm. */
  utcOffset: number;
  /** Share of anonymous and roaming traffic from this region. */
  weight: number;
  ranges: readonly IpRange[];
}

// Public ranges that geoip-lite 1.4 (GeoLite2) places in the named country for every host in
// the /24 (checked host by host), and IPv6 prefixes it places likewise.
const REGIONS: Readonly<Record<RegionId, Region>> = {
  'north-america': {
    utcOffset: -5,
    weight: 5,
    ranges: [
      { country: 'US', prefix: '73.0.0.', weight: 4 }, // Florida
      { country: 'US', prefix: '98.137.0.', weight: 3 }, // Washington
      { country: 'US', prefix: '4.2.2.', weight: 2 }, // South Carolina
      { country: 'US', prefix: '2600:1700::', weight: 2 }, // Michigan, IPv6
      { country: 'CA', prefix: '24.114.0.', weight: 2 }, // Toronto
      { country: 'CA', prefix: '174.0.0.', weight: 1 }, // Calgary
      { country: 'MX', prefix: '189.203.0.', weight: 1 }, // Mexico City area
    ],
  },
  europe: {
    utcOffset: 1,
    weight: 5,
    ranges: [
      { country: 'DE', prefix: '85.214.132.', weight: 3 }, // Berlin
      { country: 'DE', prefix: '2a00:1450:4001::', weight: 2 }, // Frankfurt, IPv6
      { country: 'GB', prefix: '81.2.69.', weight: 2 },
      { country: 'GB', prefix: '2a02:c7f::', weight: 1 }, // IPv6
      { country: 'FR', prefix: '62.4.0.', weight: 2 }, // Paris
      { country: 'NL', prefix: '77.160.0.', weight: 2 }, // Amsterdam
      { country: 'ES', prefix: '83.44.0.', weight: 1 }, // Catalonia
      { country: 'IT', prefix: '2.36.0.', weight: 1 }, // Milan
      { country: 'IE', prefix: '185.60.216.', weight: 1 },
    ],
  },
  'japan-korea': {
    utcOffset: 9,
    weight: 3,
    ranges: [
      { country: 'JP', prefix: '126.0.0.', weight: 3 }, // Tokyo
      { country: 'JP', prefix: '153.156.0.', weight: 2 }, // Nagoya
      { country: 'JP', prefix: '2400:4050::', weight: 2 }, // Tokyo, IPv6
      { country: 'KR', prefix: '211.104.0.', weight: 1 }, // Seoul
    ],
  },
  'south-america': {
    utcOffset: -3,
    weight: 2,
    ranges: [
      { country: 'BR', prefix: '201.0.0.', weight: 3 }, // São Paulo state
      { country: 'BR', prefix: '177.0.0.', weight: 1 },
      { country: 'BR', prefix: '2804:14c::', weight: 1 }, // IPv6
      { country: 'AR', prefix: '190.210.0.', weight: 1 }, // Buenos Aires
      { country: 'CO', prefix: '181.49.0.', weight: 1 }, // Bogotá
      { country: 'CL', prefix: '200.1.123.', weight: 1 },
    ],
  },
  africa: {
    utcOffset: 2,
    weight: 2,
    ranges: [
      { country: 'NG', prefix: '41.203.64.', weight: 3 }, // Lagos
      { country: 'KE', prefix: '197.248.0.', weight: 2 }, // Nairobi
      { country: 'ZA', prefix: '196.25.1.', weight: 2 },
      { country: 'GH', prefix: '102.176.0.', weight: 1 }, // Accra
      { country: 'EG', prefix: '41.32.0.', weight: 1 },
    ],
  },
  oceania: {
    utcOffset: 10,
    weight: 1.5,
    ranges: [
      { country: 'AU', prefix: '1.120.0.', weight: 3 }, // Melbourne
      { country: 'AU', prefix: '2001:44b8::', weight: 1 }, // IPv6
      { country: 'NZ', prefix: '122.56.0.', weight: 1 },
    ],
  },
  'south-asia': {
    utcOffset: 6,
    weight: 2,
    ranges: [
      { country: 'IN', prefix: '49.36.0.', weight: 3 }, // Mumbai
      { country: 'IN', prefix: '106.51.0.', weight: 2 }, // Chennai
      { country: 'SG', prefix: '165.21.0.', weight: 2 },
      { country: 'HK', prefix: '116.48.0.', weight: 1 },
    ],
  },
};

const REGION_IDS = Object.keys(REGIONS) as RegionId[];

function regionOf(id: RegionId): Region {
  return REGIONS[id];
}

const RANGE_PICKERS = new Map<Region, (rng: Rng) => IpRange>(Object.values(REGIONS).map((region) => [region, weighted(region.ranges, (r) => r.weight)]));

function addressIn(region: Region, rng: Rng): string {
  const range = (RANGE_PICKERS.get(region) ?? weighted(region.ranges, (r) => r.weight))(rng);
  if (range.prefix.includes(':')) return `${range.prefix}${int(rng, 1, 0xffff).toString(16)}:${int(rng, 1, 0xffff).toString(16)}`;
  return `${range.prefix}${int(rng, 1, 254)}`;
}

// ---- consumers -----------------------------------------------------------------------------------

type AuthStyle = 'key-auth' | 'bearer';

interface Profile {
  consumer: DemoConsumer;
  home: RegionId;
  auth: AuthStyle;
  /** API product -> multiplier on its global popularity. */
  affinity: Partial<Record<ApiId, number>>;
  userAgents: readonly string[];
}

function profile(
  consumer: DemoConsumer,
  home: RegionId,
  auth: AuthStyle,
  affinity: Partial<Record<ApiId, number>>,
  userAgents: readonly string[],
): Profile {
  return { consumer, home, auth, affinity, userAgents };
}

// In order of activity: the first consumer sends the most traffic (Zipf-like, exponent 1).
const PROFILES: readonly Profile[] = [
  profile(
    { id: 'northwind-storefront', org: 'northwind', name: 'Northwind Traders — Storefront', email: 'platform@northwind.example.com', plan: 'business' },
    'north-america', 'key-auth', { search: 2, catalog: 2, orders: 1.5 },
    ['node-fetch/3.3.2 (northwind-storefront/7.14.0)', 'undici/6.19.8'],
  ),
  profile(
    { id: 'sakura-ec', org: 'sakura', name: 'Sakura Retail K.K. — EC site', email: 'ec-dev@sakura-retail.example.com', plan: 'jp-standard' },
    'japan-korea', 'bearer', { catalog: 2, payments: 2, orders: 1.5 },
    ['Java-http-client/21.0.4', 'okhttp/4.12.0'],
  ),
  profile(
    { id: 'kestrel-tracking', org: 'kestrel', name: 'Kestrel Logistics GmbH — Tracking', email: 'it-betrieb@kestrel-logistics.example.org', plan: 'starter' },
    'europe', 'key-auth', { shipping: 7, orders: 2, search: 0.3 },
    ['Go-http-client/2.0', 'kestrel-tracker/2.3.1 Go-http-client/1.1'],
  ),
  profile(
    { id: 'baobab-checkout', org: 'baobab', name: 'Baobab Pay — Checkout', email: 'engineering@baobabpay.example.com', plan: 'business' },
    'africa', 'bearer', { payments: 7, users: 1.5, search: 0.3 },
    ['axios/1.7.7', 'BaobabPay/3.2.0 (Android 14; SM-A155F) okhttp/4.12.0'],
  ),
  profile(
    { id: 'northwind-mobile', org: 'northwind', name: 'Northwind Traders — Mobile app', email: 'mobile@northwind.example.com', plan: 'business' },
    'north-america', 'bearer', { users: 3, search: 1.5, catalog: 1.5 },
    ['NorthwindShop/5.3.1 (iPhone; iOS 17.6.1; Scale/3.00)', 'NorthwindShop/5.3.0 (Android 14; Pixel 8) okhttp/4.12.0'],
  ),
  profile(
    { id: 'lumen-app', org: 'lumen', name: 'Lumen Saúde — Patient app', email: 'dev@lumen-saude.example.com', plan: 'starter' },
    'south-america', 'bearer', { users: 4, search: 1, payments: 1.5 },
    ['LumenSaude/2.8.4 (Android 13; moto g54) okhttp/4.11.0', 'LumenSaude/2.8.4 (iPhone; iOS 17.5)'],
  ),
  profile(
    { id: 'sakura-pos', org: 'sakura', name: 'Sakura Retail K.K. — POS terminals', email: 'pos-support@sakura-retail.example.com', plan: 'jp-standard' },
    'japan-korea', 'key-auth', { payments: 5, catalog: 1.5, search: 0.2 },
    ['SakuraPOS/4.1.0 (Windows 10 IoT) .NET/8.0'],
  ),
  profile(
    { id: 'kestrel-dispatch', org: 'kestrel', name: 'Kestrel Logistics GmbH — Dispatch', email: 'dispatch-it@kestrel-logistics.example.org', plan: 'starter' },
    'europe', 'key-auth', { shipping: 5, orders: 3, search: 0.2 },
    ['python-requests/2.32.3'],
  ),
  profile(
    { id: 'koala-prod', org: 'koala', name: 'Koala Labs — Production', email: 'ops@koalalabs.example.org', plan: 'starter' },
    'oceania', 'key-auth', { search: 1, catalog: 1.5, orders: 1.5 },
    ['python-httpx/0.27.2', 'koala-sync/1.0.3 python-requests/2.31.0'],
  ),
  profile(
    { id: 'northwind-analytics', org: 'northwind', name: 'Northwind Traders — Analytics', email: 'data@northwind.example.com', plan: 'business' },
    'north-america', 'bearer', { orders: 5, payments: 2, users: 0.5 },
    ['python-requests/2.32.3 (airflow/2.10.2)'],
  ),
  profile(
    { id: 'baobab-sandbox', org: 'baobab', name: 'Baobab Pay — Sandbox', email: 'sandbox@baobabpay.example.com', plan: 'free' },
    'africa', 'key-auth', { payments: 4, users: 1 },
    ['PostmanRuntime/7.42.0', 'curl/8.9.1'],
  ),
  profile(
    { id: 'koala-dev', org: 'koala', name: 'Koala Labs — Development', email: 'dev@koalalabs.example.org', plan: 'trial' },
    'oceania', 'key-auth', {},
    ['curl/8.7.1', 'HTTPie/3.2.3', 'insomnia/10.0.0'],
  ),
];

export const DEMO_CONSUMERS: DemoConsumer[] = PROFILES.map((p) => ({ ...p.consumer }));

const ANONYMOUS_SHARE = 0.05;
const ANONYMOUS_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'Go-http-client/1.1',
];

// ---- APIs ----------------------------------------------------------------------------------------

type ApiId = 'search' | 'catalog' | 'orders' | 'users' | 'payments' | 'shipping';

interface Endpoint {
  method: string;
  template: string;
  weight: number;
  /** Path and query for one call. */
  target: (rng: Rng) => { path: string; query: [string, string][] };
  /** Median response body size in bytes. */
  responseBytes: number;
  /** Median request body size (0: no body). */
  requestBytes: number;
  /** 2xx status the endpoint answers with. */
  ok: number;
}

interface Api {
  id: ApiId;
  /** Prefix of every path (Kong route path, Istio service). */
  prefix: string;
  /** Global popularity, Zipf-like. */
  popularity: number;
  /** Median upstream latency (ms) and log-normal sigma. */
  latency: { median: number; sigma: number };
  /** Relative 5xx proneness (the shipping API depends on carriers' APIs). */
  flakiness: number;
  /** Anonymous callers may use it (public read endpoints). */
  publicReads: boolean;
  endpoints: readonly Endpoint[];
}

const SEARCH_TERMS = [
  'running shoes', 'wireless headphones', 'coffee grinder', 'usb-c cable', 'rain jacket', 'desk lamp',
  'カメラ', 'cafetera', 'kinderwagen', 'yoga mat', 'mechanical keyboard', 'sac à dos', 'air fryer',
  'garden hose', 'phone case', 'tênis corrida',
];
const CATEGORIES = ['shoes', 'electronics', 'kitchen', 'outdoor', 'office', 'toys', 'beauty', 'garden'];

const skewedId = (rng: Rng, max: number): number => 1 + Math.floor(max * rng() ** 2.5);
const uuidFrom = (rng: Rng): string => uuidOf([
  Math.floor(rng() * 2 ** 32), Math.floor(rng() * 2 ** 32), Math.floor(rng() * 2 ** 32), Math.floor(rng() * 2 ** 32),
]);
const paymentId = (rng: Rng): string => uuidFrom(rng);

function endpoint(method: string, template: string, weight: number, ok: number, responseBytes: number, requestBytes: number,
  target: (rng: Rng) => { path: string; query?: [string, string][] }): Endpoint {
  return { method, template, weight, ok, responseBytes, requestBytes, target: (rng) => { const t = target(rng); return { path: t.path, query: t.query ?? [] }; } };
}

const APIS: readonly Api[] = [
  {
    id: 'search', prefix: '/v1/search', popularity: 1, latency: { median: 38, sigma: 0.6 }, flakiness: 1, publicReads: true,
    endpoints: [
      endpoint('GET', '/v1/search', 8, 200, 14_000, 0, (rng) => ({
        path: '/v1/search',
        query: rng() < 0.3 ? [['q', pick(SEARCH_TERMS, rng)], ['page', String(int(rng, 2, 6))]] : [['q', pick(SEARCH_TERMS, rng)]],
      })),
      endpoint('GET', '/v1/search/suggest', 3, 200, 900, 0, (rng) => ({
        path: '/v1/search/suggest', query: [['q', pick(SEARCH_TERMS, rng).slice(0, int(rng, 2, 5))]],
      })),
    ],
  },
  {
    id: 'catalog', prefix: '/v1/catalog', popularity: 1 / 2, latency: { median: 12, sigma: 0.5 }, flakiness: 1, publicReads: true,
    endpoints: [
      endpoint('GET', '/v1/catalog/items/{id}', 12, 200, 1_600, 0, (rng) => ({ path: `/v1/catalog/items/${skewedId(rng, 99_999)}` })),
      endpoint('GET', '/v1/catalog/items', 5, 200, 9_500, 0, (rng) => ({
        path: '/v1/catalog/items', query: [['category', pick(CATEGORIES, rng)], ['page', String(int(rng, 1, 9))]],
      })),
      endpoint('GET', '/v1/catalog/categories', 2, 200, 3_200, 0, () => ({ path: '/v1/catalog/categories' })),
      endpoint('PUT', '/v1/catalog/items/{id}', 1, 200, 1_600, 1_400, (rng) => ({ path: `/v1/catalog/items/${skewedId(rng, 99_999)}` })),
    ],
  },
  {
    id: 'orders', prefix: '/v1/orders', popularity: 1 / 3, latency: { median: 45, sigma: 0.55 }, flakiness: 1, publicReads: false,
    endpoints: [
      endpoint('GET', '/v1/orders/{id}', 9, 200, 2_400, 0, (rng) => ({ path: `/v1/orders/${int(rng, 100_000, 999_999)}` })),
      endpoint('POST', '/v1/orders', 5, 201, 2_400, 1_800, () => ({ path: '/v1/orders' })),
      endpoint('GET', '/v1/orders', 4, 200, 18_000, 0, (rng) => ({
        path: '/v1/orders', query: [['status', pick(['open', 'shipped', 'delivered'], rng)], ['limit', '50']],
      })),
      endpoint('PATCH', '/v1/orders/{id}', 1.4, 200, 2_400, 300, (rng) => ({ path: `/v1/orders/${int(rng, 100_000, 999_999)}` })),
      endpoint('DELETE', '/v1/orders/{id}', 0.6, 204, 0, 0, (rng) => ({ path: `/v1/orders/${int(rng, 100_000, 999_999)}` })),
    ],
  },
  {
    id: 'users', prefix: '/v1/users', popularity: 1 / 4, latency: { median: 8, sigma: 0.5 }, flakiness: 1, publicReads: false,
    endpoints: [
      endpoint('GET', '/v1/users/me', 14, 200, 850, 0, () => ({ path: '/v1/users/me' })),
      endpoint('PATCH', '/v1/users/me', 2, 200, 850, 240, () => ({ path: '/v1/users/me' })),
      endpoint('GET', '/v1/users/{id}', 4, 200, 700, 0, (rng) => ({ path: `/v1/users/${skewedId(rng, 2_500_000)}` })),
    ],
  },
  {
    id: 'payments', prefix: '/v1/payments', popularity: 1 / 5, latency: { median: 180, sigma: 0.5 }, flakiness: 1, publicReads: false,
    endpoints: [
      endpoint('POST', '/v1/payments', 8, 201, 1_100, 650, () => ({ path: '/v1/payments' })),
      endpoint('GET', '/v1/payments/{uuid}', 9, 200, 1_100, 0, (rng) => ({ path: `/v1/payments/${paymentId(rng)}` })),
      endpoint('POST', '/v1/payments/{uuid}/refunds', 2, 201, 600, 180, (rng) => ({ path: `/v1/payments/${paymentId(rng)}/refunds` })),
      endpoint('POST', '/v1/payments/{uuid}/capture', 1, 200, 1_100, 60, (rng) => ({ path: `/v1/payments/${paymentId(rng)}/capture` })),
    ],
  },
  {
    id: 'shipping', prefix: '/v1/shipments', popularity: 1 / 6, latency: { median: 240, sigma: 0.7 }, flakiness: 5, publicReads: false,
    endpoints: [
      endpoint('GET', '/v1/shipments/{id}/tracking', 6, 200, 2_100, 0, (rng) => ({ path: `/v1/shipments/${int(rng, 5_000_000, 5_999_999)}/tracking` })),
      endpoint('POST', '/v1/shipments', 3, 201, 1_300, 1_100, () => ({ path: '/v1/shipments' })),
      endpoint('POST', '/v1/shipments/{id}/labels', 1, 201, 48_000, 120, (rng) => ({ path: `/v1/shipments/${int(rng, 5_000_000, 5_999_999)}/labels` })),
    ],
  },
];

const API_PICKERS = new Map<ApiId, (rng: Rng) => Endpoint>(APIS.map((api) => [api.id, weighted(api.endpoints, (e) => e.weight)]));

function endpointOf(api: Api, rng: Rng): Endpoint {
  const picker = API_PICKERS.get(api.id);
  if (picker === undefined) throw new Error(`no endpoints for ${api.id}`);
  return picker(rng);
}

const PUBLIC_HOST = 'api.example.com';
const nginxHost = (api: Api): string => `${api.id}.api.example.com`;
const meshHost = (api: Api): string => `${api.id}.shop.svc.cluster.local`;

// ---- statuses ------------------------------------------------------------------------------------

// Conditional rates chosen so that the whole set lands on DEMO_STATUS_MIX: anonymous calls to
// protected APIs (and half of those to public ones) are refused with 401 (~3.5% of all traffic);
// authenticated calls see 404 ~2%, 429 ~1% (5% on the hard-quota free and trial plans), a revoked key 401
// ~0.3%; 5xx at 3% of the traffic that reaches an upstream, weighted by each API's flakiness.
const NOT_FOUND = 0.021;
const RATE_LIMITED = 0.009;
const RATE_LIMITED_FREE = 0.05;
/** The example plans with a hard quota (and, for trial, rate limits): their callers hit 429 more often. */
const HARD_QUOTA_PLANS: ReadonlySet<string> = new Set(['free', 'trial']);
const REVOKED = 0.003;
const SERVER_ERROR = 0.031;

// ---- the month's story ---------------------------------------------------------------------------

/**
 * What the demo shows about money, on any day of the month: consumers whose month so far goes past
 * their plan. Past the included units every further call is charged, so the server errors among
 * them are revenue lost (a logistics firm's dispatch syncing the flaky shipping API, a POS fleet
 * paying in yen); past a hard quota the policy point refuses the rest (a sandbox load test).
 * Each makes STORY_MARGIN times the plan's limit in extra calls, whatever the background adds.
 */
export const MONTH_STORY: readonly { consumer: string; past: 'included_units' | 'hard_quota' }[] = [
  { consumer: 'kestrel-dispatch', past: 'included_units' },
  { consumer: 'sakura-pos', past: 'included_units' },
  { consumer: 'baobab-sandbox', past: 'hard_quota' },
];
const STORY_MARGIN = 1.15;

/** The plan limit a story consumer goes past: the largest included request units, or the hard quota. */
function storyLimit(plan: Plan, past: 'included_units' | 'hard_quota'): number {
  const limit = past === 'hard_quota'
    ? (plan.quota?.kind === 'hard' ? plan.quota.limit : 0)
    : Math.max(0, ...plan.meters.filter((m) => m.unit === 'requests').map((m) => Number(m.includedUnits)));
  if (!(limit > 0)) throw new Error(`demoTraffic: plan ${plan.id} has no ${past === 'hard_quota' ? 'hard quota' : 'included request units'} for the month's story`);
  return limit;
}

function storyCalls(plans: PlanCatalog): { profile: Profile; calls: number }[] {
  return MONTH_STORY.map(({ consumer, past }) => {
    const profile = PROFILES.find((p) => p.consumer.id === consumer);
    const plan = profile === undefined ? undefined : plans.plans.get(profile.consumer.plan);
    if (profile === undefined || plan === undefined) throw new Error(`demoTraffic: the month's story needs ${consumer} and its plan`);
    return { profile, calls: Math.ceil(storyLimit(plan, past) * STORY_MARGIN) };
  });
}

/**
 * What Tollgate's policy point would have answered: per consumer and calendar month, in time order,
 * a call of a hard-quota plan is refused once the billable calls before it reach the limit
 * (quotaState's `blocked`); refused calls count for nothing. Gateways log the decision, so the
 * tap reads it back; the CloudEvents metering sink has no field for it, so those calls are
 * shipped by the app-side middleware (NDJSON) instead.
 */
function refuseBeyondHardQuotas(requests: Request[], plans: PlanCatalog): void {
  const used = new Map<string, number>();
  for (const r of [...requests].sort((a, b) => a.ms - b.ms || a.seq - b.seq)) {
    const plan = r.profile === undefined ? undefined : plans.plans.get(r.profile.consumer.plan);
    if (r.profile === undefined || plan === undefined || plan.quota?.kind !== 'hard' || r.status === 401) continue;
    const key = `${r.profile.consumer.id}/${periodOf(new Date(r.ms)).name}`;
    const count = used.get(key) ?? 0;
    if (quotaState(plan, count)?.blocked) {
      r.status = 429;
      r.gatewayAnswered = true;
      r.upstreamMs = undefined;
      r.responseBytes = 180 + (r.words[3] % 240);
      r.decision = 'quota';
      if (r.format === 'cloudevents') r.format = 'ndjson';
    } else if (plan.billableStatuses.has(`${Math.floor(r.status / 100)}xx` as StatusClass)) {
      used.set(key, count + 1);
    }
  }
}

// ---- the requests --------------------------------------------------------------------------------

interface Request {
  seq: number;
  ms: number;
  format: DemoFormat;
  profile: Profile | undefined;
  api: Api;
  endpoint: Endpoint;
  path: string;
  query: [string, string][];
  status: number;
  /** Answered by the gateway itself (auth, rate limit, no healthy upstream): no upstream time. */
  gatewayAnswered: boolean;
  requestBytes: number;
  responseBytes: number;
  upstreamMs: number | undefined;
  gatewayMs: number;
  ip: string;
  port: number;
  userAgent: string;
  upstreamAddress: string;
  words: [number, number, number, number];
  /** Tollgate's decision the gateway logged (x-tollgate-decision); only refusals are set here. */
  decision?: 'quota';
}

/** Times are drawn from [start, start + span). */
interface TimeWindow {
  start: number;
  span: number;
}

const DAY_MS = 86_400_000;

/** Relative traffic at a local time: a working-day bell around 14:00, quiet nights, lighter weekends. */
function rhythm(localMs: number): number {
  const date = new Date(localMs);
  const hour = date.getUTCHours() + date.getUTCMinutes() / 60;
  const weekday = date.getUTCDay();
  const day = 0.12 + 0.88 * Math.exp(-0.5 * ((hour - 14) / 3.6) ** 2);
  return weekday === 0 || weekday === 6 ? day * 0.55 : day;
}

function validate(options: DemoTrafficOptions): { nowMs: number; days: number; events: number; seed: number; batchSize: number; plans: PlanCatalog | undefined } {
  const nowMs = options.now.getTime();
  if (!Number.isFinite(nowMs)) throw new Error('demoTraffic: now is not a valid date');
  if (!(options.days > 0) || !Number.isFinite(options.days)) throw new Error(`demoTraffic: days must be positive, got ${options.days}`);
  if (!Number.isSafeInteger(options.events) || options.events < 0) throw new Error(`demoTraffic: events must be a non-negative integer, got ${options.events}`);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error(`demoTraffic: batchSize must be a positive integer, got ${batchSize}`);
  const seed = options.seed ?? 1;
  if (!Number.isFinite(seed)) throw new Error('demoTraffic: seed must be a number');
  return { nowMs, days: options.days, events: options.events, seed: seed >>> 0, batchSize, plans: options.plans };
}

/** Exact format quotas, shuffled. */
function formatPlan(events: number, rng: Rng): DemoFormat[] {
  const plan: DemoFormat[] = [];
  for (const format of FORMAT_ORDER) {
    const n = format === 'kong' ? 0 : Math.round(events * DEMO_FORMAT_SHARES[format]);
    for (let i = 0; i < n && plan.length < events; i++) plan.push(format);
  }
  while (plan.length < events) plan.push('kong');
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const a = plan[i];
    const b = plan[j];
    if (a !== undefined && b !== undefined) {
      plan[i] = b;
      plan[j] = a;
    }
  }
  return plan;
}

interface ClientAddress {
  ip: string;
  region: RegionId;
}

/** Each consumer's own few addresses: servers and offices at home, a couple abroad. */
function consumerAddresses(rng: Rng): Map<Profile, (rng: Rng) => ClientAddress> {
  const pickRegion = weighted(REGION_IDS, (id) => regionOf(id).weight);
  const result = new Map<Profile, (rng: Rng) => ClientAddress>();
  for (const p of PROFILES) {
    const addresses: ClientAddress[] = [];
    for (let i = 0; i < 6; i++) addresses.push({ ip: addressIn(regionOf(p.home), rng), region: p.home });
    for (let i = 0; i < 2; i++) {
      let region = pickRegion(rng);
      if (region === p.home) region = pickRegion(rng);
      addresses.push({ ip: addressIn(regionOf(region), rng), region });
    }
    // Home addresses carry ~88% of the traffic (Zipf among them), the abroad ones the rest.
    result.set(p, weighted(addresses, (_, i) => (i < 6 ? 0.88 / (i + 1) / 2.45 : 0.06)));
  }
  return result;
}

function generateRequests(opts: ReturnType<typeof validate>): Request[] {
  const rng = seededRandom(opts.seed ^ 0x5eed1e55);
  const salt = fmix32(opts.seed + 0x2545f491);
  const plan = formatPlan(opts.events, rng);
  const addresses = consumerAddresses(rng);
  const pickProfile = weighted(PROFILES, (_, i) => 1 / (i + 1));
  const pickRegion = weighted(REGION_IDS, (id) => regionOf(id).weight);
  const apiPickers = new Map<Profile | undefined, (rng: Rng) => Api>();
  apiPickers.set(undefined, weighted(APIS, (api) => api.popularity));
  for (const p of PROFILES) apiPickers.set(p, weighted(APIS, (api) => api.popularity * (p.affinity[api.id] ?? 1)));
  const meanFlakiness = APIS.reduce((sum, api) => sum + api.popularity * api.flakiness, 0) / APIS.reduce((sum, api) => sum + api.popularity, 0);

  const timeIn = (window: TimeWindow): number => window.start + Math.floor(rng() * window.span);

  const request = (seq: number, format: DemoFormat, p: Profile | undefined, window: TimeWindow): Request => {
    const client: ClientAddress = p === undefined
      ? (() => { const region = pickRegion(rng); return { ip: addressIn(regionOf(region), rng), region }; })()
      : (addresses.get(p) ?? (() => { throw new Error('no addresses'); })())(rng);

    // Time: uniform over the window, thinned by the client region's daily rhythm.
    const offsetMs = regionOf(client.region).utcOffset * 3_600_000;
    let ms = timeIn(window);
    for (let tries = 0; tries < 64 && rng() > rhythm(ms + offsetMs); tries++) ms = timeIn(window);

    const api = (apiPickers.get(p) ?? (() => { throw new Error('no api picker'); })())(rng);
    const ep = endpointOf(api, rng);
    const target = ep.target(rng);

    // Status.
    let status = ep.ok;
    let gatewayAnswered = false;
    const u = rng();
    if (p === undefined && (!api.publicReads || ep.method !== 'GET' || u < 0.5)) {
      status = 401;
      gatewayAnswered = true;
    } else if (p !== undefined && u < REVOKED) {
      status = 401;
      gatewayAnswered = true;
    } else {
      const limited = p !== undefined && HARD_QUOTA_PLANS.has(p.consumer.plan) ? RATE_LIMITED_FREE : RATE_LIMITED;
      const v = rng();
      const serverError = (SERVER_ERROR * api.flakiness) / meanFlakiness;
      if (v < limited) {
        status = 429;
        gatewayAnswered = true;
      } else if (v < limited + serverError) {
        const w = rng();
        status = api.flakiness > 1 ? (w < 0.15 ? 500 : w < 0.6 ? 502 : 503) : (w < 0.55 ? 500 : w < 0.8 ? 502 : 503);
        gatewayAnswered = status === 503 && rng() < 0.5; // no healthy upstream
      } else if (v < limited + serverError + NOT_FOUND && (ep.method !== 'POST' || ep.template.includes('{'))) {
        status = 404;
      }
    }

    // Sizes and latencies.
    const headerBytes = int(rng, 320, 720);
    const requestBytes = headerBytes + (ep.requestBytes > 0 ? Math.round(logNormal(rng, ep.requestBytes, 0.4)) : 0);
    let responseBytes: number;
    if (status >= 400) responseBytes = int(rng, 180, 420);
    else if (ep.responseBytes === 0) responseBytes = int(rng, 150, 260);
    else responseBytes = 250 + Math.round(logNormal(rng, ep.responseBytes, 0.55));

    let upstreamMs: number | undefined;
    if (!gatewayAnswered) {
      let t = logNormal(rng, api.latency.median * (ep.method === 'GET' ? 1 : 1.4), api.latency.sigma);
      if (rng() < 0.012) t *= 4 + 6 / Math.sqrt(1 - rng() * 0.999); // rare long tail (Pareto-like)
      if (status === 502 || status === 500) t = Math.max(t, rng() < 0.3 ? logNormal(rng, 3_000, 0.8) : t);
      if (status === 404) t *= 0.4;
      upstreamMs = Math.max(1, Math.min(60_000, Math.round(t)));
    }
    const gatewayMs = Math.max(0, Math.round(logNormal(rng, gatewayAnswered ? 1.2 : 2.2, 0.6)));

    const userAgent = p === undefined ? pick(ANONYMOUS_AGENTS, rng) : pick(p.userAgents, rng);
    const upstreamAddress = `10.${40 + APIS.indexOf(api)}.${int(rng, 0, 3)}.${int(rng, 10, 40)}:8080`;
    return {
      seq, ms, format, profile: p, api, endpoint: ep, path: target.path, query: target.query, status, gatewayAnswered,
      requestBytes, responseBytes, upstreamMs, gatewayMs, ip: client.ip, port: int(rng, 1024, 65535), userAgent,
      upstreamAddress, words: idWords(seq, salt),
    };
  };

  // The background: every consumer over the `days` before now.
  const requests: Request[] = [];
  const background = { start: opts.nowMs - opts.days * DAY_MS + 1, span: opts.days * DAY_MS - 2 };
  for (let seq = 0; seq < opts.events; seq++) {
    const format = plan[seq] ?? 'kong';
    const p = rng() < ANONYMOUS_SHARE ? undefined : pickProfile(rng);
    requests.push(request(seq, format, p, background));
  }
  if (opts.plans === undefined) return requests;

  // The month's story: extra calls from the month's start to now, whatever day it is.
  const monthStart = periodOf(new Date(opts.nowMs)).start.getTime();
  const month = { start: monthStart, span: Math.max(1, opts.nowMs - monthStart) };
  const pickFormat = weighted(FORMAT_ORDER, (f) => DEMO_FORMAT_SHARES[f]);
  let seq = opts.events;
  for (const { profile: p, calls } of storyCalls(opts.plans)) {
    for (let i = 0; i < calls; i++, seq++) requests.push(request(seq, pickFormat(rng), p, month));
  }
  refuseBeyondHardQuotas(requests, opts.plans);
  return requests;
}

// ---- the formats ---------------------------------------------------------------------------------

const queryString = (query: readonly [string, string][]): string =>
  query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
const targetOf = (r: Request): string => (r.query.length > 0 ? `${r.path}?${queryString(r.query)}` : r.path);
const queryObject = (r: Request): Record<string, string> => Object.fromEntries(r.query);
const totalMs = (r: Request): number => (r.upstreamMs ?? 0) + r.gatewayMs;
const iso = (ms: number): string => new Date(ms).toISOString();
const hostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
const credentialKey = (p: Profile): string => `tg_live_${hashString(p.consumer.id).toString(36)}${hashString(`${p.consumer.id}/key`).toString(36)}`;
const httpDate = (ms: number): string => new Date(ms).toUTCString();

/** The /v1/authorize answer's decision header, as Kong and APISIX log it among the response headers. */
const decisionHeader = (r: Request): Record<string, string> => (r.decision === undefined ? {} : { [DECISION_HEADER]: r.decision });

function requestHeaders(r: Request, host: string, withCredential: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    host,
    'user-agent': r.userAgent,
    accept: 'application/json',
    'accept-encoding': 'gzip, br',
    'x-forwarded-for': r.ip,
    'x-forwarded-proto': 'https',
  };
  if (r.endpoint.requestBytes > 0) headers['content-type'] = 'application/json';
  if (withCredential && r.profile !== undefined) {
    if (r.profile.auth === 'key-auth') headers.apikey = credentialKey(r.profile);
    else headers.authorization = `Bearer ${credentialKey(r.profile)}`;
  }
  return headers;
}

function kongRecord(r: Request): unknown {
  const requestId = hex32Of(r.words);
  const api = r.api;
  const serviceId = stableUuid(`kong-service/${api.id}`);
  const wsId = stableUuid('kong-workspace/default');
  const headers = requestHeaders(r, PUBLIC_HOST, false);
  // Kong ≥ 3 logs Authorization as "REDACTED"; key-auth runs with hide_credentials, so the key is
  // gone from the logged headers and the credential shows up as authenticated_entity.
  if (r.profile?.auth === 'bearer') headers.authorization = 'REDACTED';
  const [upstreamIp, upstreamPort] = r.upstreamAddress.split(':');
  const proxied = !r.gatewayAnswered;
  const record: Record<string, unknown> = {
    request: {
      id: requestId,
      method: r.endpoint.method,
      uri: targetOf(r),
      url: `https://${PUBLIC_HOST}:8443${targetOf(r)}`,
      size: r.requestBytes,
      querystring: queryObject(r),
      headers,
      tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', client_verify: 'NONE' },
    },
    response: {
      status: r.status,
      size: r.responseBytes,
      headers: {
        'content-type': 'application/json',
        'content-length': String(Math.max(0, r.responseBytes - 240)),
        date: httpDate(r.ms),
        via: '1.1 kong/3.8.0',
        'x-kong-request-id': requestId,
        'x-kong-proxy-latency': String(r.gatewayMs),
        ...(proxied ? { 'x-kong-upstream-latency': String(r.upstreamMs ?? 0) } : {}),
        ...(r.status === 429 ? { 'retry-after': '1', 'ratelimit-remaining': '0' } : {}),
        ...decisionHeader(r),
      },
    },
    route: {
      id: stableUuid(`kong-route/${api.id}`),
      name: `${api.id}-v1`,
      paths: [api.prefix, `/api${api.prefix}`],
      protocols: ['https'],
      methods: null,
      strip_path: false,
      preserve_host: false,
      path_handling: 'v0',
      https_redirect_status_code: 426,
      regex_priority: 0,
      request_buffering: true,
      response_buffering: true,
      tags: ['demo'],
      service: { id: serviceId },
      ws_id: wsId,
      created_at: 1_767_225_600,
      updated_at: 1_767_225_600,
    },
    service: {
      id: serviceId,
      name: api.id,
      host: `${api.id}.internal`,
      port: 8080,
      protocol: 'http',
      path: null,
      retries: 5,
      connect_timeout: 60_000,
      read_timeout: 60_000,
      write_timeout: 60_000,
      enabled: true,
      ws_id: wsId,
      created_at: 1_767_225_600,
      updated_at: 1_767_225_600,
    },
    workspace: wsId,
    workspace_name: 'default',
    client_ip: r.ip,
    started_at: r.ms,
    upstream_uri: targetOf(r),
    source: proxied ? 'upstream' : 'kong',
    latencies: {
      kong: r.gatewayMs,
      proxy: proxied ? (r.upstreamMs ?? 0) : -1,
      request: totalMs(r),
      receive: 0,
    },
  };
  if (proxied) {
    record.tries = [{ ip: upstreamIp, port: Number(upstreamPort), balancer_start: r.ms + 1, balancer_latency: 0 }];
    record.upstream_status = String(r.status);
  }
  if (r.profile !== undefined && !(r.status === 401)) {
    const consumerId = stableUuid(`kong-consumer/${r.profile.consumer.id}`);
    record.consumer = {
      id: consumerId,
      username: r.profile.consumer.id,
      custom_id: r.profile.consumer.id,
      created_at: 1_767_225_600,
      tags: [`org:${r.profile.consumer.org}`],
    };
    record.authenticated_entity = { id: stableUuid(`kong-credential/${r.profile.consumer.id}`), consumer_id: consumerId };
  }
  return record;
}

function envoyRecord(r: Request, istio: boolean): unknown {
  const requestId = uuidOf(r.words);
  const api = r.api;
  const flags = r.status === 401 ? 'UAEX' : r.status === 429 ? 'RL' : r.gatewayAnswered ? 'UH' : '-';
  const details = r.status === 401 ? 'ext_authz_denied' : r.status === 429 ? 'local_rate_limited' : r.gatewayAnswered ? 'no_healthy_upstream' : 'via_upstream';
  const common = {
    start_time: iso(r.ms),
    method: r.endpoint.method,
    protocol: 'HTTP/2',
    response_code: r.status,
    response_flags: flags,
    response_code_details: details,
    connection_termination_details: null,
    upstream_transport_failure_reason: null,
    bytes_received: Math.max(0, r.requestBytes - 400),
    bytes_sent: r.responseBytes,
    duration: totalMs(r),
    upstream_host: r.gatewayAnswered ? null : r.upstreamAddress,
    upstream_local_address: r.gatewayAnswered ? null : `10.244.${r.words[1] & 7}.${10 + (r.words[1] % 200)}:${40_000 + (r.words[2] % 20_000)}`,
    downstream_local_address: '10.244.0.17:8443',
    downstream_remote_address: hostPort(r.ip, r.port),
    requested_server_name: PUBLIC_HOST,
    ...(r.decision === undefined ? {} : { tollgate_decision: r.decision }),
  };
  if (istio) {
    // Istio's default JSON access log (meshConfig.accessLogEncoding: JSON) plus the operator's
    // consumer_id key: %REQ(X-CONSUMER-ID)%, set by the ext-authz service after key validation.
    return {
      ...common,
      authority: PUBLIC_HOST,
      path: targetOf(r),
      upstream_cluster: `outbound|8080||${meshHost(api)}`,
      upstream_service_time: r.upstreamMs === undefined ? null : String(r.upstreamMs),
      route_name: `${api.id}-v1`,
      request_id: requestId,
      user_agent: r.userAgent,
      x_forwarded_for: r.ip,
      consumer_id: r.profile !== undefined && r.status !== 401 ? r.profile.consumer.id : null,
    };
  }
  // Envoy Gateway's default JSON access log, plus x-consumer-id (%REQ(X-CONSUMER-ID)%).
  return {
    ...common,
    ':authority': PUBLIC_HOST,
    'x-envoy-origin-path': targetOf(r),
    upstream_cluster: `httproute/shop/${api.id}/rule/0`,
    route_name: `httproute/shop/${api.id}/rule/0/match/0/${PUBLIC_HOST.replace(/\./g, '_')}`,
    'x-envoy-upstream-service-time': r.upstreamMs === undefined ? null : String(r.upstreamMs),
    'x-request-id': requestId,
    'user-agent': r.userAgent,
    'x-forwarded-for': r.ip,
    'x-consumer-id': r.profile !== undefined && r.status !== 401 ? r.profile.consumer.id : null,
  };
}

function apisixRecord(r: Request): unknown {
  const api = r.api;
  const total = totalMs(r) + ((r.words[3] % 1000) / 1000);
  const record: Record<string, unknown> = {
    server: { hostname: `apisix-${(r.words[1] % 3) + 1}`, version: '3.9.1' },
    start_time: r.ms,
    client_ip: r.ip,
    service_id: api.id,
    route_id: `${api.id}-v1`,
    latency: total,
    apisix_latency: Math.round((total - (r.upstreamMs ?? 0)) * 1000) / 1000,
    request: {
      url: `https://${PUBLIC_HOST}:9443${targetOf(r)}`,
      uri: targetOf(r),
      method: r.endpoint.method,
      querystring: queryObject(r),
      size: r.requestBytes,
      headers: { ...requestHeaders(r, PUBLIC_HOST, true), 'x-request-id': uuidOf(r.words) },
    },
    response: {
      status: r.status,
      size: r.responseBytes,
      headers: {
        server: 'APISIX/3.9.1',
        'content-type': r.gatewayAnswered ? 'text/plain; charset=utf-8' : 'application/json',
        'content-length': String(Math.max(0, r.responseBytes - 200)),
        connection: 'keep-alive',
        date: httpDate(r.ms),
        'x-request-id': uuidOf(r.words),
        ...decisionHeader(r),
      },
    },
  };
  if (r.upstreamMs !== undefined) {
    record.upstream = r.upstreamAddress;
    record.upstream_latency = r.upstreamMs;
  }
  if (r.profile !== undefined && r.status !== 401) record.consumer = { username: r.profile.consumer.id };
  return record;
}

function nginxRecord(r: Request): unknown {
  const host = nginxHost(r.api);
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  // The documented tollgate log_format: every value quoted, "-" for no upstream, "" for no user.
  return {
    msec: seconds(r.ms),
    time: `${iso(Math.floor(r.ms / 1000) * 1000).slice(0, 19)}+00:00`,
    request_id: hex32Of(r.words),
    remote_addr: r.ip,
    remote_user: r.profile !== undefined && r.status !== 401 ? r.profile.consumer.id : '',
    x_forwarded_for: '',
    method: r.endpoint.method,
    uri: r.path,
    status: String(r.status),
    request_length: String(r.requestBytes),
    bytes_sent: String(r.responseBytes),
    request_time: seconds(totalMs(r)),
    upstream_response_time: r.upstreamMs === undefined ? '-' : seconds(r.upstreamMs),
    upstream_addr: r.upstreamMs === undefined ? '-' : r.upstreamAddress,
    host,
    server_name: host,
    user_agent: r.userAgent,
    ...(r.decision === undefined ? {} : { tollgate_decision: r.decision }),
  };
}

function canonicalRecord(r: Request): unknown {
  const requestId = uuidOf(r.words);
  // An app-side middleware (Fastify plugin) writing api-request/v1 itself.
  return {
    schema: 'api-request/v1',
    event_id: `fastify:${requestId}`,
    timestamp: iso(r.ms),
    gateway: { kind: 'fastify', instance: `${r.api.id}-api-${(r.words[1] % 4) + 1}` },
    request_id: requestId,
    api: r.api.id,
    route: `${r.endpoint.method} ${r.endpoint.template}`,
    method: r.endpoint.method,
    path: targetOf(r),
    path_template: r.endpoint.template,
    host: PUBLIC_HOST,
    status: r.status,
    request_bytes: r.requestBytes,
    response_bytes: r.responseBytes,
    latency_ms: { total: totalMs(r) },
    client_ip: r.ip,
    user_agent: r.userAgent,
    ...(r.profile !== undefined && r.status !== 401
      ? { consumer: { id: r.profile.consumer.id, org_id: r.profile.consumer.org, auth_method: r.profile.auth } }
      : {}),
    ...(r.decision === undefined ? {} : { decision: r.decision }),
  };
}

const EDGE_SOURCES = ['//edge.example.com/workers/iad1', '//edge.example.com/workers/fra1', '//edge.example.com/workers/nrt1', '//edge.example.com/workers/gru1'];

function cloudEventRecord(r: Request): unknown {
  // OpenMeter-style API-call metering events, subject = the customer being metered.
  return {
    specversion: '1.0',
    type: 'com.example.api.request',
    id: uuidOf(r.words),
    source: EDGE_SOURCES[r.words[1] % EDGE_SOURCES.length],
    time: iso(r.ms),
    ...(r.profile !== undefined && r.status !== 401 ? { subject: r.profile.consumer.id } : {}),
    datacontenttype: 'application/json',
    data: {
      method: r.endpoint.method,
      path: targetOf(r),
      route: r.endpoint.template,
      api: r.api.id,
      host: PUBLIC_HOST,
      status: r.status,
      duration_ms: totalMs(r),
      request_bytes: r.requestBytes,
      response_bytes: r.responseBytes,
      client_ip: r.ip,
      user_agent: r.userAgent,
      request_id: hex32Of(r.words),
    },
  };
}

function body(format: DemoFormat, chunk: readonly Request[], batchIndex: number): string {
  switch (format) {
    case 'kong':
      return JSON.stringify(chunk.map(kongRecord));
    case 'apisix':
      return JSON.stringify(chunk.map(apisixRecord));
    case 'cloudevents':
      return JSON.stringify(chunk.map(cloudEventRecord));
    case 'envoy':
      // Two deployments ship this format: an Istio ingress gateway and Envoy Gateway (3:2).
      return lines(chunk.map((r) => envoyRecord(r, batchIndex % 5 < 3)));
    case 'nginx':
      return lines(chunk.map(nginxRecord));
    case 'ndjson':
      return lines(chunk.map(canonicalRecord));
  }
}

function lines(records: readonly unknown[]): string {
  return records.map((record) => JSON.stringify(record)).join('\n') + '\n';
}

/** The demo traffic set as request bodies for `POST /v1/ingest/{format}`, oldest batch first. */
export function demoTraffic(options: DemoTrafficOptions): DemoBatch[] {
  const opts = validate(options);
  const requests = generateRequests(opts);
  const byFormat = new Map<DemoFormat, Request[]>(FORMAT_ORDER.map((f) => [f, []]));
  for (const r of requests) byFormat.get(r.format)?.push(r);

  const batches: { first: number; order: number; batch: DemoBatch }[] = [];
  FORMAT_ORDER.forEach((format, order) => {
    const list = (byFormat.get(format) ?? []).sort((a, b) => a.ms - b.ms || a.seq - b.seq);
    for (let i = 0, index = 0; i < list.length; i += opts.batchSize, index++) {
      const chunk = list.slice(i, i + opts.batchSize);
      batches.push({
        first: chunk[0]?.ms ?? 0,
        order,
        batch: { format, contentType: CONTENT_TYPES[format], body: body(format, chunk, index), records: chunk.length },
      });
    }
  });
  batches.sort((a, b) => a.first - b.first || a.order - b.order);
  return batches.map((b) => b.batch);
}
