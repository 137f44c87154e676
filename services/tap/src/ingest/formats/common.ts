// Helpers shared by the gateway formats. Everything here is pure and total: no helper throws on
// any input, every accessor answers `undefined` for a value of the wrong type.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { API_REQUEST_LIMITS as MAX, API_REQUEST_SCHEMA, cutText, isCanonicalUtc, validateApiRequest, wellFormed } from '@tollgate/schemas';
import type { ConsumerIdentity, GatewayKind } from '@tollgate/schemas';
import { DEFAULT_MAX_FUTURE_SKEW_MS, type MapContext, type MapResult, type SplitResult } from './types.ts';

export type Obj = Record<string, unknown>;

export function isObj(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Nested property access that never throws: get(rec, 'request', 'headers'). */
export function get(value: unknown, ...path: string[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isObj(current) || !Object.hasOwn(current, key)) return undefined;
    current = current[key];
  }
  return current;
}

/** First of several keys that holds a present value (not null, '', or the gateways' '-'). */
export function pick(record: Obj, ...keys: string[]): unknown {
  for (const key of keys) {
    if (!Object.hasOwn(record, key)) continue;
    const value = record[key];
    if (value === null || value === undefined || value === '' || value === '-') continue;
    return value;
  }
  return undefined;
}

/**
 * A non-empty string, or a finite number rendered as one; '-' (nginx/Envoy "unset") is absent.
 * Always well-formed (a lone surrogate becomes U+FFFD), and cut on a code-point boundary to
 * `maxLength` code units when given: every text of an event passes through here.
 */
export function str(value: unknown, maxLength?: number): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value.trim();
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  if (text === undefined || text === '' || text === '-') return undefined;
  return maxLength !== undefined ? cutText(text, maxLength) : wellFormed(text);
}

/** A finite number from a number or a numeric string ("171", "0.010"); anything else is absent. */
export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return undefined;
  const parsed = Number(text);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * A non-negative integer (byte counts); fractional, negative or non-numeric values are absent.
 * A count too large for the schema (1e20) is kept, so that validation refuses the record with the
 * schema's bound as its reason: dropping it would bill the request as if it had no bytes.
 */
export function count(value: unknown): number | undefined {
  const n = num(value);
  return n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** A non-negative latency in ms; gateways log -1 for "not measured" (Kong's proxy latency on a 401). */
export function latency(value: unknown, scale = 1): number | undefined {
  const n = num(value);
  if (n === undefined || n < 0) return undefined;
  // Round away float noise from the scaling (0.123 s * 1000 = 123.00000000000001).
  return Math.round(n * scale * 1000) / 1000;
}

/** HTTP status as an integer; undefined when absent or not an integer. */
export function status(value: unknown): number | undefined {
  const n = num(value);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

export function method(value: unknown): string | undefined {
  const text = str(value);
  return text === undefined ? undefined : text.toUpperCase();
}

// ---- time ---------------------------------------------------------------------------------------

const MONTHS: Record<string, string> = {
  jan: '01', feb: '02', mar: '03', apr: '04', may: '05', jun: '06',
  jul: '07', aug: '08', sep: '09', oct: '10', nov: '11', dec: '12',
};

// Bounds that keep obviously wrong clocks (and unit mix-ups) out: 2000-01-01 .. 2100-01-01.
const MIN_MS = Date.UTC(2000, 0, 1);
const MAX_MS = Date.UTC(2100, 0, 1);

/**
 * Normalises a timestamp to UTC ISO 8601 with milliseconds. Accepts epoch milliseconds, epoch
 * seconds with a fraction (nginx $msec, "1700000000.123"), ISO 8601 strings with an offset, and
 * nginx/Apache time_local ("10/Oct/2000:13:55:36 -0700"). Numbers below 1e11 are read as seconds.
 * Years outside 2000..2099 are rejected, which also catches seconds/ms mix-ups.
 */
export function timestamp(value: unknown): string | undefined {
  // Fast path: already UTC ISO with milliseconds (what the tap itself emits) in 2000..2099.
  if (typeof value === 'string' && isCanonicalUtc(value) && value.startsWith('20')) return value;
  let ms: number | undefined;
  const n = num(value);
  if (n !== undefined) {
    ms = Math.abs(n) < 1e11 ? n * 1000 : n;
  } else if (typeof value === 'string') {
    const text = value.trim();
    const local = /^(\d{2})\/([A-Za-z]{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))? ([+-])(\d{2})(\d{2})$/.exec(text);
    if (local) {
      const [, day, mon, year, hh, mm, ss, frac, sign, oh, om] = local;
      const month = MONTHS[(mon ?? '').toLowerCase()];
      if (month === undefined) return undefined;
      const iso = `${year}-${month}-${day}T${hh}:${mm}:${ss}.${(frac ?? '0').padEnd(3, '0')}${sign}${oh}:${om}`;
      ms = strictIso(iso);
    } else if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(text)) {
      ms = strictIso(text);
    }
  }
  if (ms === undefined || !Number.isFinite(ms) || ms < MIN_MS || ms >= MAX_MS) return undefined;
  return new Date(Math.floor(ms)).toISOString();
}

/**
 * The record's own time, normalised; receivedAt when the record carries none. A time that is
 * present but unreadable rejects the record rather than billing it at the wrong moment.
 */
export function recordTime(value: unknown, field: string, ctx: MapContext): { ok: true; ts: string } | { ok: false; reason: string } {
  if (value === undefined || value === null || value === '' || value === '-') return { ok: true, ts: ctx.receivedAt.toISOString() };
  const ts = timestamp(value);
  if (ts === undefined) return { ok: false, reason: `${field} ${JSON.stringify(value)?.slice(0, 60) ?? typeof value} is not a recognisable time` };
  return { ok: true, ts };
}

/** Date.parse, but refusing dates it would silently roll over (2024-02-31 → March 2). */
function strictIso(text: string): number | undefined {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  const [y, m, d] = text.slice(0, 10).split('-').map(Number);
  const probe = new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 0));
  if (probe.getUTCFullYear() !== y || probe.getUTCMonth() + 1 !== m || probe.getUTCDate() !== d) return undefined;
  return ms;
}

// ---- paths and queries --------------------------------------------------------------------------

/** Splits a request target ("/a/b?x=1", "http://h/a?x", "*") into path and raw query. */
export function splitTarget(value: unknown): { path: string; query: string } | undefined {
  const target = str(value);
  if (target === undefined) return undefined;
  let rest = target;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest);
  if (absolute) rest = rest.slice(absolute[0].length) || '/';
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  const path = q >= 0 ? rest.slice(0, q) : rest;
  const query = q >= 0 ? rest.slice(q + 1) : '';
  return path === '' ? undefined : { path, query };
}

/** Values of query parameters the tap treats as credentials, from a raw query or a parsed object. */
export function secretQueryValues(query: unknown, secretNames: ReadonlySet<string>): { name: string; value: string }[] {
  const found: { name: string; value: string }[] = [];
  const wanted = (name: string) => secretNames.has(name) || secretNames.has(name.toLowerCase());
  if (typeof query === 'string' && query !== '') {
    for (const part of query.split('&')) {
      const eq = part.indexOf('=');
      const name = safeDecode(eq >= 0 ? part.slice(0, eq) : part);
      const value = eq >= 0 ? safeDecode(part.slice(eq + 1)) : '';
      if (name && value && wanted(name)) found.push({ name, value });
    }
  } else if (isObj(query)) {
    // Kong and APISIX log the query string as an object; repeated keys become arrays.
    for (const [name, raw] of Object.entries(query)) {
      if (!wanted(name)) continue;
      const value = Array.isArray(raw) ? raw.find((v) => typeof v === 'string') : raw;
      if (typeof value === 'string' && value !== '') found.push({ name, value });
    }
  }
  return found;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

// ---- headers, addresses -------------------------------------------------------------------------

/** Case-insensitive header lookup; a repeated header (logged as an array) yields its first value, as str() reads it. */
export function header(headers: unknown, name: string, maxLength?: number): string | undefined {
  if (!isObj(headers)) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, raw] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    const value = Array.isArray(raw) ? raw.find((v) => typeof v === 'string') : raw;
    return str(value, maxLength);
  }
  return undefined;
}

/** A client address as a bare IP: accepts "1.2.3.4", "1.2.3.4:5678", "[::1]:80", "::1". */
export function clientIp(value: unknown): string | undefined {
  const text = str(value);
  if (text === undefined) return undefined;
  if (isIP(text)) return text;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed?.[1] && isIP(bracketed[1]) === 6) return bracketed[1];
  const v4port = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(text);
  if (v4port?.[1] && isIP(v4port[1]) === 4) return v4port[1];
  return undefined;
}

/** X-Forwarded-For as a trimmed list: at most the schema's entries; entries longer than the schema allows are dropped. */
export function forwardedFor(value: unknown): string[] | undefined {
  const parts = Array.isArray(value) ? value : [value];
  const list: string[] = [];
  for (const part of parts) {
    if (typeof part !== 'string') continue;
    for (const item of part.split(',')) {
      const entry = item.trim();
      if (entry !== '' && entry !== '-' && entry.length <= MAX.forwardedForEntry) list.push(wellFormed(entry));
    }
  }
  return list.length > 0 ? list.slice(0, MAX.forwardedFor) : undefined;
}

// ---- credentials --------------------------------------------------------------------------------

/** Header names whose value is an API key (Kong key-auth default "apikey", common "x-api-key"). */
const API_KEY_HEADERS = ['x-api-key', 'apikey', 'api-key', 'x-apikey'];
/** Values gateways put in place of a redacted credential; hashing them would be meaningless. */
const REDACTED = /^(\[?redacted\]?|\*+|x+|hidden)$/i;

/**
 * Identity evidence from request headers and the query string. The credential value is only ever
 * passed through ctx.hmac; the event never carries it. A redacted value still tells the method.
 */
export function credentialFrom(headers: unknown, query: unknown, ctx: MapContext): ConsumerIdentity {
  for (const name of API_KEY_HEADERS) {
    const key = header(headers, name);
    if (key !== undefined) return withHmac({ auth_method: 'key-auth' }, key, ctx);
  }
  const authorization = header(headers, 'authorization');
  if (authorization !== undefined) {
    const match = /^(\S+)\s+(\S.*)$/.exec(authorization);
    const scheme = match?.[1]?.toLowerCase();
    const secret = match?.[2]?.trim();
    if (scheme === 'bearer') return withHmac({ auth_method: 'bearer' }, secret, ctx);
    if (scheme === 'basic') return withHmac({ auth_method: 'basic-auth' }, secret, ctx);
    // Redacted ("REDACTED") or an unknown scheme: the method is unknown; the query may still tell.
  }
  const fromQuery = secretQueryValues(query, ctx.secretQueryParams)[0];
  if (fromQuery !== undefined) {
    const auth_method = /key/i.test(fromQuery.name) ? 'key-auth' : 'bearer';
    return withHmac({ auth_method }, fromQuery.value, ctx);
  }
  return {};
}

function withHmac(identity: ConsumerIdentity, secret: string | undefined, ctx: MapContext): ConsumerIdentity {
  if (secret === undefined || secret === '' || REDACTED.test(secret)) return identity;
  return { ...identity, credential_hmac: ctx.hmac(secret) };
}

// ---- Tollgate's gateway decision -----------------------------------------------------------------

/**
 * The decision a gateway logged, as is: the schema checks it, so a value that is no decision
 * rejects the record with the valid ones named, rather than being dropped — a refusal dropped
 * would be billed. Formats read it only from where a client cannot write it (the answer to an
 * auth subrequest, response headers), since any decision but allow makes a call unbillable.
 */
export function gatewayDecision(value: unknown): string | undefined {
  return str(value);
}

// ---- ids ----------------------------------------------------------------------------------------

/**
 * `<kind>:<parts joined by ':'>`, or a fresh id when there is no request id. An id that would not
 * fit the schema's event_id maxLength is replaced by a SHA-256 of its parts: still deterministic, so a
 * re-shipped log keeps its event id.
 */
export function eventId(kind: GatewayKind, parts: (string | undefined)[], ctx: MapContext): string {
  if (parts.length === 0 || parts.some((p) => p === undefined || p === '')) return ctx.newId();
  const id = `${kind}:${parts.join(':')}`;
  if (id.length <= MAX.eventId) return id;
  return `${kind}:sha256:${createHash('sha256').update(parts.join('\n')).digest('hex')}`;
}

/** Epoch milliseconds of a normalised timestamp, as a string id component. */
export function epochMs(iso: string): string {
  return String(Date.parse(iso));
}

// ---- records, bodies ----------------------------------------------------------------------------

/** A line that did not parse; split keeps it in place so map can reject it by index. */
export class MalformedRecord {
  constructor(readonly reason: string) {}
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Content type lower-cased and without parameters ("Application/JSON; charset=utf-8" → "application/json"). */
export function mediaType(contentType: string): string {
  return (typeof contentType === 'string' ? contentType : '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function nonBlankLines(body: string): string[] {
  return body.split(/\r?\n/).filter((line) => line.trim() !== '');
}

/**
 * Whether the body has more than `max` lines holding anything but spaces, tabs and CRs: counted
 * without splitting the body (a 10 MiB body of '{}' lines is 3.5 million strings once split), and
 * stopping once it is over.
 */
function moreLinesThan(body: string, max: number): boolean {
  if (!Number.isFinite(max)) return false;
  // Newlines first (indexOf is native): a body with no more lines than that is under the cap.
  let newlines = 0;
  for (let at = body.indexOf('\n'); at !== -1 && newlines <= max; at = body.indexOf('\n', at + 1)) newlines += 1;
  if (newlines < max) return false;
  let lines = 0;
  let blank = true;
  for (let i = 0; i < body.length; i += 1) {
    const c = body.charCodeAt(i);
    if (c === 10) {
      blank = true;
    } else if (blank && c !== 32 && c !== 9 && c !== 13) {
      blank = false;
      lines += 1;
      if (lines > max) return true;
    }
  }
  return false;
}

/** The body holds more records than the caller takes. */
export function tooManyRecords(maxRecords: number): SplitResult {
  return { ok: false, tooMany: true, reason: `the body holds more than ${maxRecords} records; send at most ${maxRecords} per request` };
}

/**
 * One JSON value per line. A line that does not parse becomes a MalformedRecord; only a body where
 * no line parses at all is refused. A body that is one JSON document (an array of records or a
 * pretty-printed object) is accepted too.
 */
export function splitNdjson(body: string, maxRecords = Infinity): SplitResult {
  if (typeof body !== 'string') return { ok: false, reason: 'body must be text' };
  // A JSON array is one document; anything else is read line by line first (the common case,
  // and parsing a large NDJSON body as one document only to see it fail costs a copy of it).
  const first = /\S/.exec(body)?.[0];
  if (first === '[') {
    const whole = tryParse(body);
    if (whole.ok && Array.isArray(whole.value)) return { ok: true, records: whole.value };
  }
  if (moreLinesThan(body, maxRecords)) return tooManyRecords(maxRecords);
  const lines = nonBlankLines(body);
  if (lines.length === 0) return { ok: true, records: [] };
  let parsed = 0;
  let firstError = '';
  const records = lines.map((line, index) => {
    const result = tryParse(line);
    if (result.ok) {
      parsed += 1;
      return result.value;
    }
    firstError ||= result.error;
    return new MalformedRecord(`line ${index + 1} is not valid JSON: ${result.error}`);
  });
  if (parsed === 0) {
    // One JSON document spread over several lines (a pretty-printed object or array).
    const whole = tryParse(body);
    if (whole.ok && (Array.isArray(whole.value) || isObj(whole.value))) {
      return { ok: true, records: Array.isArray(whole.value) ? whole.value : [whole.value] };
    }
    return { ok: false, reason: `body is not JSON or NDJSON: ${firstError}` };
  }
  return { ok: true, records, texts: lines };
}

/**
 * A JSON document holding one record (object) or a batch (array). Gateways that can also
 * concatenate with newlines (APISIX concat_method=new_line) fall back to NDJSON.
 */
export function splitJsonDocument(body: string, shape: 'object-or-array' | 'object' | 'array' = 'object-or-array', maxRecords = Infinity): SplitResult {
  if (typeof body !== 'string') return { ok: false, reason: 'body must be text' };
  const text = body.trim();
  if (text === '') return { ok: false, reason: 'body is empty' };
  const whole = tryParse(text);
  if (!whole.ok) {
    if (shape === 'object-or-array' && nonBlankLines(text).length > 1 && text.startsWith('{')) {
      return splitNdjson(text, maxRecords);
    }
    return { ok: false, reason: `body is not valid JSON: ${whole.error}` };
  }
  const value = whole.value;
  if (Array.isArray(value)) {
    return shape === 'object' ? { ok: false, reason: 'body must be a single JSON object, got an array' } : { ok: true, records: value };
  }
  if (isObj(value)) {
    return shape === 'array' ? { ok: false, reason: 'body must be a JSON array (batch), got an object' } : { ok: true, records: [value] };
  }
  return { ok: false, reason: `body must be a JSON ${shape === 'array' ? 'array' : 'object or array'}, got ${value === null ? 'null' : typeof value}` };
}

/** Text lines, blank lines skipped. */
export function splitLines(body: string, maxRecords = Infinity): SplitResult {
  if (typeof body !== 'string') return { ok: false, reason: 'body must be text' };
  if (moreLinesThan(body, maxRecords)) return tooManyRecords(maxRecords);
  return { ok: true, records: nonBlankLines(body) };
}

/** One line of an NDJSON log as its record: the parsed value, or a MalformedRecord saying why not. */
export function parseJsonLine(line: string): unknown {
  const result = tryParse(line);
  return result.ok ? result.value : new MalformedRecord(`line is not valid JSON: ${result.error}`);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: errorMessage(error) };
  }
}

/**
 * Wraps a split so that it can never throw, and so that a body of more than maxRecords records is
 * refused before its records are mapped (a JSON document's array is only counted once parsed).
 */
export function safeSplit(
  fn: (body: string, contentType: string, maxRecords: number) => SplitResult,
): (body: string, contentType: string, maxRecords?: number) => SplitResult {
  return (body, contentType, maxRecords = Infinity) => {
    try {
      const result = fn(body, contentType, maxRecords);
      return result.ok && result.records.length > maxRecords ? tooManyRecords(maxRecords) : result;
    } catch (error) {
      return { ok: false, reason: `could not split body: ${errorMessage(error)}` };
    }
  };
}

/** Wraps a mapper: rejects malformed lines and non-objects up front, and turns any throw into a reason. */
export function safeMap(fn: (record: Obj, ctx: MapContext) => MapResult): (record: unknown, ctx: MapContext) => MapResult {
  return guarded((record) => (isObj(record) ? record : undefined), 'a JSON object', fn);
}

/** As safeMap, for text formats whose records are lines. */
export function safeMapText(fn: (line: string, ctx: MapContext) => MapResult): (record: unknown, ctx: MapContext) => MapResult {
  return guarded((record) => (typeof record === 'string' ? record : undefined), 'a text line', fn);
}

function guarded<T>(
  accept: (record: unknown) => T | undefined,
  expected: string,
  fn: (record: T, ctx: MapContext) => MapResult,
): (record: unknown, ctx: MapContext) => MapResult {
  return (record, ctx) => {
    try {
      if (record instanceof MalformedRecord) return { ok: false, reason: record.reason };
      const accepted = accept(record);
      if (accepted === undefined) return { ok: false, reason: `record must be ${expected}, got ${describe(record)}` };
      const result = fn(accepted, ctx);
      return result.ok ? notAhead(result, ctx) : result;
    } catch (error) {
      return { ok: false, reason: `could not map record: ${errorMessage(error)}` };
    }
  };
}

/**
 * The result, unless its event is stamped further ahead of ctx.receivedAt than ctx allows: every
 * format's events pass here (guarded), whatever field their time came from.
 */
function notAhead(result: Extract<MapResult, { ok: true }>, ctx: MapContext): MapResult {
  const skew = ctx.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  const ahead = Date.parse(result.event.timestamp) - ctx.receivedAt.getTime();
  if (!(ahead > skew)) return result;
  return { ok: false, reason: `timestamp ${result.event.timestamp} is ${formatDuration(ahead)} ahead of arrival at the tap (at most ${formatDuration(skew)} allowed)` };
}

/** 90 000 → "1m30s", 1 500 → "1.5s": durations in a reason. */
function formatDuration(ms: number): string {
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = Math.round((totalSeconds % 60) * 1000) / 1000;
  return `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${seconds > 0 || (hours === 0 && minutes === 0) ? `${seconds}s` : ''}`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

export function reject(reason: string): MapResult {
  return { ok: false, reason };
}

// ---- the event ----------------------------------------------------------------------------------

/** The fields every mapper fills; optional ones may be undefined and are dropped before validation. */
export interface Draft {
  event_id: string;
  timestamp: string;
  gateway: { kind: GatewayKind; instance?: string | undefined };
  request_id?: string | undefined;
  api?: string | undefined;
  route?: string | undefined;
  method: string;
  path: string;
  path_template?: string | undefined;
  host?: string | undefined;
  status: number;
  request_bytes?: number | undefined;
  response_bytes?: number | undefined;
  latency_ms?: { total?: number | undefined; upstream?: number | undefined; gateway?: number | undefined } | undefined;
  upstream?: { service?: string | undefined; address?: string | undefined } | undefined;
  client_ip?: string | undefined;
  forwarded_for?: string[] | undefined;
  user_agent?: string | undefined;
  /** Checked by the schema (gatewayDecision). */
  decision?: string | undefined;
  consumer?: { [K in keyof ConsumerIdentity]?: ConsumerIdentity[K] | undefined } | undefined;
}

/** Drops undefined fields and empty objects, then validates; the validator's reason is the rejection reason. */
export function finish(draft: Draft): MapResult {
  const candidate: Obj = { schema: API_REQUEST_SCHEMA, ...draft };
  prune(candidate);
  const result = validateApiRequest(candidate);
  return result.ok ? { ok: true, event: result.event } : { ok: false, reason: result.reason };
}

/**
 * Validates an already-canonical candidate (ndjson, CloudEvents data) after pruning undefineds.
 * `unchanged`: the caller altered nothing of the parsed record; the event is then verbatim unless
 * pruning removed something.
 */
export function finishCanonical(candidate: Obj, unchanged = false): MapResult {
  const pruned = prune(candidate);
  const result = validateApiRequest(candidate);
  if (!result.ok) return { ok: false, reason: result.reason };
  return unchanged && !pruned ? { ok: true, event: result.event, verbatim: true } : { ok: true, event: result.event };
}

/**
 * Drops undefined fields and empty objects and makes every string well-formed (a lone surrogate,
 * which JSON can carry as \udxxx and ClickHouse refuses, becomes U+FFFD), in place: candidates
 * are built by the mappers from freshly parsed input, so nothing else holds them, and the hot
 * path allocates no copies. Answers whether anything was dropped or repaired.
 */
function prune(value: Obj): boolean {
  let dropped = false;
  for (const key in value) {
    const field = value[key];
    if (field === undefined) {
      delete value[key];
      dropped = true;
    } else if (typeof field === 'string') {
      if (!field.isWellFormed()) {
        value[key] = wellFormed(field);
        dropped = true;
      }
    } else if (Array.isArray(field)) {
      for (let i = 0; i < field.length; i += 1) {
        const item: unknown = field[i];
        if (typeof item === 'string' && !item.isWellFormed()) {
          field[i] = wellFormed(item);
          dropped = true;
        }
      }
    } else if (isObj(field)) {
      dropped = prune(field) || dropped;
      if (Object.keys(field).length === 0) {
        delete value[key];
        dropped = true;
      }
    }
  }
  return dropped;
}

/**
 * Required fields first, so a record that is plainly not a request log is rejected with a clear
 * reason. The path comes back cut to the schema's limit (a request is billed whatever its length).
 */
export function required(fields: { method: string | undefined; path: string | undefined; status: number | undefined }, hint = ''):
  | { ok: true; method: string; path: string; status: number }
  | { ok: false; reason: string } {
  const suffix = hint ? ` (${hint})` : '';
  if (fields.method === undefined) return { ok: false, reason: `request method is missing${suffix}` };
  if (fields.path === undefined) return { ok: false, reason: `request path is missing${suffix}` };
  if (fields.status === undefined) return { ok: false, reason: `response status is missing or not an integer${suffix}` };
  return { ok: true, method: fields.method, path: cutText(fields.path, MAX.path), status: fields.status };
}
