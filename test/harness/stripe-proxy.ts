/**
 * Recording proxy between the `stripe` client and stripe-mock.
 *
 * stripe-mock validates requests against Stripe's OpenAPI spec but keeps no state. This proxy adds
 * what tests need on top:
 *   - a log of every request (method, path, decoded params, idempotency key, status),
 *   - Stripe-like idempotency (same Idempotency-Key + same method/path/params -> first response
 *     replayed with `Idempotent-Replayed: true`; different request -> 400 idempotency_error),
 *   - unique ids for created objects (stripe-mock >= 0.1xx already generates random ids; older
 *     versions answer every create with the fixture id, which is then rewritten here),
 *   - deterministic failure injection (429 / 5xx answered by the proxy itself),
 *   - the invoices and invoice items created through it, read back as created, and Stripe's
 *     refusals that need state, such as the 250 items per invoice limit (stripe-state.ts).
 *
 * node:http only, no dependencies.
 */
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { seededRandom } from '@tollgate/platform';
import { StripeState } from './stripe-state.ts';

export interface RecordedStripeRequest {
  method: string;
  /** Path without query string, e.g. `/v1/invoices/in_123/finalize`. */
  path: string;
  /** Decoded form body (nested keys decoded into objects/arrays) merged with query params. */
  params: Record<string, unknown>;
  idempotencyKey?: string;
  status: number;
  /** True when the proxy answered with an injected 429/5xx instead of forwarding. */
  injected: boolean;
  /** True when the answer was a stored idempotent response (nothing forwarded). */
  replayed?: boolean;
  /** Top-level `id` of the JSON response, when present. */
  responseId?: string;
}

export interface StripeFailureOptions {
  /** Share of matching requests (0..1) to answer with an injected error. 0 disables. */
  rate: number;
  /** Statuses to inject, picked deterministically. Default [429, 500]. */
  statuses?: number[];
  /** PRNG seed; same seed + same request sequence = same failures. Default 1. */
  seed?: number;
  /** Only requests whose path (no query) matches are eligible. Default: all. */
  paths?: RegExp;
}

export interface StripeProxy {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  host: string;
  port: number;
  requests: RecordedStripeRequest[];
  /** Invoices and invoice items created through the proxy (kept across reset()). */
  state: StripeState;
  failures(opts: StripeFailureOptions): void;
  /** Answers every request this many milliseconds late (0 disables), like a slow Stripe. */
  latency(ms: number): void;
  /** Clears recorded requests and failure settings. Idempotency store and issued ids persist. */
  reset(): void;
  close(): Promise<void>;
}

interface StoredResponse {
  fingerprint: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  responseId?: string | undefined;
}

interface UpstreamResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

// ---------------------------------------------------------------------------------------------
// Form decoding: `metadata[run]=x&lines[0][price]=p&expand[]=a` -> nested objects / arrays.

type Container = Record<string, unknown> | unknown[];

function parseKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const segments = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/gy;
  re.lastIndex = open;
  let m: RegExpExecArray | null;
  let end = open;
  while ((m = re.exec(key)) !== null) {
    segments.push(m[1] ?? '');
    end = re.lastIndex;
  }
  if (end !== key.length) return [key]; // malformed: keep the raw key
  return segments;
}

const isIndex = (s: string): boolean => s === '' || /^\d+$/.test(s);

function assign(root: Record<string, unknown>, segments: string[], value: string): void {
  let node: Container = root;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] as string;
    const last = i === segments.length - 1;
    if (Array.isArray(node)) {
      const idx = seg === '' ? node.length : Number(seg);
      if (last) {
        node[idx] = value;
        return;
      }
      let child = node[idx];
      if (child === null || typeof child !== 'object') {
        child = isIndex(segments[i + 1] as string) ? [] : {};
        node[idx] = child;
      }
      node = child as Container;
    } else {
      if (last) {
        node[seg] = value;
        return;
      }
      let child = node[seg];
      if (child === null || typeof child !== 'object') {
        child = isIndex(segments[i + 1] as string) ? [] : {};
        node[seg] = child;
      }
      node = child as Container;
    }
  }
}

/** Decodes `application/x-www-form-urlencoded` Stripe params into nested objects/arrays. */
export function decodeStripeForm(
  encoded: string | URLSearchParams,
  into: Record<string, unknown> = {},
): Record<string, unknown> {
  const search = typeof encoded === 'string' ? new URLSearchParams(encoded) : encoded;
  for (const [key, value] of search) assign(into, parseKey(key), value);
  return into;
}

// ---------------------------------------------------------------------------------------------


const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function freshId(prefix: string): string {
  const bytes = randomBytes(16);
  let s = '';
  for (const b of bytes) s += ID_CHARS[b % ID_CHARS.length];
  return `${prefix}_tg${s}`;
}

function idPrefix(id: string): string {
  const i = id.lastIndexOf('_');
  return i > 0 ? id.slice(0, i) : id;
}

/** Replaces every string value equal to `from` (deep) with `to`. */
function replaceDeep(value: unknown, from: string, to: string): unknown {
  if (value === from) return to;
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, from, to));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = replaceDeep(v, from, to);
    return out;
  }
  return value;
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(stream: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

function forwardHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  }
  return out;
}

function flatHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k.toLowerCase())) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function stripeError(
  status: number,
  type: string,
  message: string,
  extraHeaders: Record<string, string> = {},
): { status: number; headers: Record<string, string>; body: Buffer } {
  const body = Buffer.from(JSON.stringify({ error: { type, message } }, null, 2));
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'request-id': `req_proxy_${randomBytes(6).toString('hex')}`,
      ...extraHeaders,
    },
    body,
  };
}

function injectedError(status: number) {
  if (status === 429) {
    return stripeError(
      429,
      'rate_limit_error',
      'Too many requests hit the API too quickly (injected by test stripe-proxy).',
    );
  }
  return stripeError(
    status,
    'api_error',
    `Injected ${status} from test stripe-proxy.`,
    status >= 500 ? { 'stripe-should-retry': 'true' } : {},
  );
}

export async function startStripeProxy(opts: {
  upstream: string;
  port?: number;
}): Promise<StripeProxy> {
  const upstream = new URL(opts.upstream);
  if (upstream.protocol !== 'http:') {
    throw new Error(`stripe-proxy: upstream must be http:, got ${opts.upstream}`);
  }
  const upstreamHost = upstream.hostname.replace(/^\[(.*)\]$/, '$1');
  const upstreamPort = Number(upstream.port || 80);
  const agent = new http.Agent({ keepAlive: true });

  const requests: RecordedStripeRequest[] = [];
  /** `${idempotencyKey}` -> stored (successful) response or in-flight promise. */
  const idempotency = new Map<string, StoredResponse | Promise<StoredResponse | undefined>>();
  /** Ids of objects created through the proxy, to guarantee uniqueness. */
  const issuedIds = new Set<string>();
  const state = new StripeState();

  let failure: { rate: number; statuses: number[]; paths?: RegExp; next: () => number } | null =
    null;

  function shouldInject(path: string): number | undefined {
    if (!failure || failure.rate <= 0) return undefined;
    if (failure.paths) {
      failure.paths.lastIndex = 0; // tolerate /g and /y regexes
      if (!failure.paths.test(path)) return undefined;
    }
    // Always draw both numbers so the sequence only depends on the order of matching requests.
    const roll = failure.next();
    const pick = failure.next();
    if (roll >= failure.rate) return undefined;
    return failure.statuses[Math.floor(pick * failure.statuses.length)];
  }

  function callUpstream(
    req: http.IncomingMessage,
    pathAndQuery: string,
    body: Buffer,
  ): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const headers = forwardHeaders(req.headers);
      headers['content-length'] = String(body.length);
      // stripe-mock does not do compression; ask for identity so bodies can be rewritten.
      headers['accept-encoding'] = 'identity';
      const up = http.request(
        {
          host: upstreamHost,
          port: upstreamPort,
          method: req.method,
          path: pathAndQuery,
          headers,
          agent,
        },
        (res) => {
          readBody(res).then(
            (b) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: b }),
            reject,
          );
        },
      );
      up.on('error', reject);
      up.end(body);
    });
  }

  /** Forwards and, for creates, makes sure the returned id is unique. */
  async function forward(
    req: http.IncomingMessage,
    path: string,
    pathAndQuery: string,
    body: Buffer,
    params: Record<string, unknown>,
  ): Promise<StoredResponse> {
    const res = await callUpstream(req, pathAndQuery, body);
    const headers = flatHeaders(res.headers);
    let out = res.body;
    let responseId: string | undefined;
    const isJson = (headers['content-type'] ?? '').includes('json');
    if (isJson && out.length > 0) {
      try {
        let json = JSON.parse(out.toString('utf8')) as unknown;
        if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
          const id = (json as Record<string, unknown>).id;
          if (typeof id === 'string') {
            // A POST whose answer carries an id that is not in the path created an object.
            const created =
              req.method === 'POST' && res.status < 300 && !path.split('/').includes(id);
            if (created) {
              let newId = id;
              if (issuedIds.has(id)) {
                newId = freshId(idPrefix(id));
                json = replaceDeep(json, id, newId);
                out = Buffer.from(JSON.stringify(json, null, 2));
              }
              issuedIds.add(newId);
              responseId = newId;
            } else {
              responseId = id;
            }
          }
        }
        if (res.status < 300) {
          const answered = state.answer((req.method ?? 'GET').toUpperCase(), path, params, json);
          if (answered !== json) out = Buffer.from(JSON.stringify(answered, null, 2));
        }
      } catch {
        // Not JSON after all: pass through untouched.
      }
    }
    return { fingerprint: '', status: res.status, headers, body: out, responseId };
  }

  function send(
    res: http.ServerResponse,
    r: { status: number; headers: Record<string, string>; body: Buffer },
    extra: Record<string, string> = {},
  ): void {
    res.writeHead(r.status, {
      ...r.headers,
      ...extra,
      'content-length': String(r.body.length),
    });
    res.end(r.body);
  }

  let latencyMs = 0;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    const method = (req.method ?? 'GET').toUpperCase();
    const target = new URL(req.url ?? '/', 'http://proxy.invalid');
    const path = target.pathname;
    const pathAndQuery = `${target.pathname}${target.search}`;
    const body = await readBody(req);

    const params: Record<string, unknown> = {};
    decodeStripeForm(target.searchParams, params);
    const contentType = header(req, 'content-type') ?? '';
    if (body.length > 0 && contentType.includes('application/x-www-form-urlencoded')) {
      decodeStripeForm(body.toString('utf8'), params);
    }
    const idempotencyKey = header(req, 'idempotency-key');
    const record: RecordedStripeRequest = {
      method,
      path,
      params,
      ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      status: 0,
      injected: false,
    };
    requests.push(record);

    // 1. Injected failures (before idempotency, like rate limiting in front of the API).
    const injected = shouldInject(path);
    if (injected !== undefined) {
      record.status = injected;
      record.injected = true;
      send(res, injectedError(injected));
      return;
    }

    // 2. Idempotency (POST only, as in Stripe's v1 API).
    const useIdempotency = method === 'POST' && idempotencyKey !== undefined;
    const fingerprint = `${method} ${path} ${stableStringify(params)}`;
    if (useIdempotency) {
      let existing = idempotency.get(idempotencyKey);
      if (existing instanceof Promise) existing = await existing;
      if (existing !== undefined) {
        if (existing.fingerprint !== fingerprint) {
          const err = stripeError(
            400,
            'idempotency_error',
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          );
          record.status = 400;
          send(res, err);
          return;
        }
        record.status = existing.status;
        record.replayed = true;
        if (existing.responseId !== undefined) record.responseId = existing.responseId;
        send(res, existing, { 'idempotent-replayed': 'true' });
        return;
      }
    }

    // 3. What Stripe would refuse, knowing the objects created so far.
    const refused = state.refuse(method, path, params);
    if (refused) {
      record.status = refused.status;
      send(res, { status: refused.status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(refused.body)) });
      return;
    }

    // 4. Forward.
    let settle: ((v: StoredResponse | undefined) => void) | undefined;
    if (useIdempotency) {
      idempotency.set(
        idempotencyKey,
        new Promise<StoredResponse | undefined>((r) => {
          settle = r;
        }),
      );
    }
    let result: StoredResponse;
    try {
      result = await forward(req, path, pathAndQuery, body, params);
    } catch (err) {
      if (useIdempotency) {
        idempotency.delete(idempotencyKey);
        settle?.(undefined);
      }
      const message = err instanceof Error ? err.message : String(err);
      record.status = 502;
      send(res, stripeError(502, 'api_error', `stripe-proxy: upstream error: ${message}`));
      return;
    }
    result.fingerprint = fingerprint;
    if (useIdempotency) {
      // Like Stripe, only store results of requests that ran; validation errors (400 from
      // stripe-mock) and server errors are not stored, so a retry is evaluated afresh.
      if (result.status < 400) idempotency.set(idempotencyKey, result);
      else idempotency.delete(idempotencyKey);
      settle?.(result.status < 400 ? result : undefined);
    }
    record.status = result.status;
    if (result.responseId !== undefined) record.responseId = result.responseId;
    send(res, result);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) {
        send(res, stripeError(500, 'api_error', `stripe-proxy: internal error: ${message}`));
      } else {
        res.destroy();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = '127.0.0.1';

  return {
    url: `http://${host}:${port}`,
    host,
    port,
    requests,
    state,
    failures(f: StripeFailureOptions): void {
      if (!(f.rate >= 0 && f.rate <= 1)) {
        throw new Error(`stripe-proxy: failure rate must be within [0, 1], got ${f.rate}`);
      }
      const statuses = f.statuses ?? [429, 500];
      if (statuses.length === 0 || statuses.some((s) => !Number.isInteger(s) || s < 400)) {
        throw new Error(`stripe-proxy: statuses must be HTTP error codes, got ${statuses.join(',')}`);
      }
      failure =
        f.rate === 0
          ? null
          : {
              rate: f.rate,
              statuses,
              ...(f.paths ? { paths: f.paths } : {}),
              next: seededRandom(f.seed ?? 1),
            };
    },
    latency(ms: number): void {
      latencyMs = ms;
    },
    reset(): void {
      requests.length = 0;
      failure = null;
      latencyMs = 0;
    },
    close(): Promise<void> {
      agent.destroy();
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
