// The plugin's exchanges (exchange-batch.ts) as Kafka records of api-request v1 events: each
// event's JSON written as UTF-8 bytes straight from the batch's code units into the records, its
// key beside it. Building each event as a string first, and keeping it until Kafka acknowledged,
// was most of what the plugin's worker spent per request: the strings, the pieces they were
// concatenated from and the garbage collection of both.
//
// The event: the fields the exchange knows, text cut to the schema's maxLength on a code-point
// boundary (cutEnd, the rule of @tollgate/schemas/text; an over-long request id gets a generated
// event id instead of a cut one), strings escaped as JSON.stringify escapes them but well-formed:
// a lone surrogate is written as U+FFFD, not as the \udxxx that ClickHouse refuses. Numbers
// printed as JavaScript prints them.
import { randomFillSync } from 'node:crypto';
import { isIP } from 'node:net';
// The schema's limits alone: the worker does not load the validator.
import { API_REQUEST_LIMITS as MAX } from '@tollgate/schemas/limits';
import { cutEnd, cutText } from '@tollgate/schemas/text';
import { murmur2, type RecordSetBuilder } from '@tollgate/tap-delivery/records';
import { fieldText, NUMBER_FIELDS, scanExchangeBatch, type ExchangeBatch, type ExchangeFields } from './exchange-batch.ts';
import { EVENT_ID_PREFIX, FIELD, template } from './exchange.ts';

const { requestId: REQUEST_ID, method: METHOD, url: REQUEST_URL, route: ROUTE, host: HOST, clientIp: CLIENT_IP, userAgent: USER_AGENT, api: API } = FIELD;
const { gatewayInstance: INSTANCE, consumerId: CONSUMER_ID, appId: APP_ID, subject: SUBJECT, orgId: ORG_ID, authMethod: AUTH_METHOD, scopes: SCOPES } = FIELD;
/** Where each number sits among an exchange's numbers in the batch. */
const [STARTED_AT, STATUS, ELAPSED, REQUEST_BYTES, RESPONSE_BYTES] = [FIELD.startedAtMs, FIELD.status, FIELD.elapsedMs, FIELD.requestBytes, FIELD.responseBytes].map((field) => NUMBER_FIELDS.indexOf(field)) as [number, number, number, number, number];

/** ASCII text as bytes. */
const bytesOf = (text: string): Buffer => Buffer.from(text, 'latin1');
const HEX = bytesOf('0123456789abcdef');
let isoSecond = Number.NaN;
let isoPrefix: Buffer = Buffer.alloc(0);
const randomPool = Buffer.allocUnsafe(4_096);
let randomAt = randomPool.length;
/** JSON.stringify's short escapes of control characters. */
const SHORT_ESCAPES: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };

const UUID_LENGTH = 36;

/**
 * A random (version 4) UUID, RFC 9562, as its 36 characters, from a pool of random bytes:
 * crypto.randomUUID builds a string, which would then be read back character by character.
 */
function writeUuid(target: Buffer): void {
  if (randomAt + 16 > randomPool.length) {
    randomFillSync(randomPool);
    randomAt = 0;
  }
  const r = randomPool;
  const i = randomAt;
  randomAt += 16;
  // Written out rather than looped: a loop with the dashes and the version inside cost twice as much.
  hexByte(target, 0, r[i]!);
  hexByte(target, 2, r[i + 1]!);
  hexByte(target, 4, r[i + 2]!);
  hexByte(target, 6, r[i + 3]!);
  target[8] = 0x2d;
  hexByte(target, 9, r[i + 4]!);
  hexByte(target, 11, r[i + 5]!);
  target[13] = 0x2d;
  hexByte(target, 14, (r[i + 6]! & 0x0f) | 0x40); // version 4
  hexByte(target, 16, r[i + 7]!);
  target[18] = 0x2d;
  hexByte(target, 19, (r[i + 8]! & 0x3f) | 0x80); // variant 10
  hexByte(target, 21, r[i + 9]!);
  target[23] = 0x2d;
  for (let k = 10; k < 16; k += 1) hexByte(target, 24 + (k - 10) * 2, r[i + k]!);
}

function hexByte(target: Buffer, at: number, byte: number): void {
  target[at] = HEX[byte >> 4]!;
  target[at + 1] = HEX[byte & 0xf]!;
}

/** Writes an event's JSON into the records' buffer (with room made for it), and its key aside. */
class EventWriter {
  value: Buffer = Buffer.alloc(0);
  at = 0;
  key = Buffer.allocUnsafe(256);
  keyLength = 0;
  /** The event id made up for an exchange without a usable request id. */
  readonly generatedId = Buffer.allocUnsafe(UUID_LENGTH);

  raw(bytes: Buffer): void {
    this.value.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** ASCII text written as it is (Buffer#write costs more than these few characters). */
  ascii(text: string): void {
    const value = this.value;
    let at = this.at;
    for (let i = 0; i < text.length; i += 1) value[at++] = text.charCodeAt(i);
    this.at = at;
  }

  /** A JSON string of `length` code units from `start`: quoted, escaped, UTF-8. */
  string(text: Uint16Array, start: number, length: number): void {
    this.value[this.at++] = 0x22;
    this.unquoted(text, start, length);
    this.value[this.at++] = 0x22;
  }

  /** The inside of a JSON string: escaped, UTF-8. */
  unquoted(text: Uint16Array, start: number, length: number): void {
    const value = this.value;
    let at = this.at;
    const end = start + length;
    for (let i = start; i < end; i += 1) {
      const c = text[i]!;
      if (c < 0x80) {
        if (c >= 0x20 && c !== 0x22 && c !== 0x5c) value[at++] = c;
        else {
          value[at++] = 0x5c;
          if (c === 0x22 || c === 0x5c) value[at++] = c;
          else if (SHORT_ESCAPES[c] !== undefined) value[at++] = SHORT_ESCAPES[c];
          else at = unicodeEscape(value, at, c);
        }
      } else if (c < 0x800) {
        value[at++] = 0xc0 | (c >> 6);
        value[at++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        value[at++] = 0xe0 | (c >> 12);
        value[at++] = 0x80 | ((c >> 6) & 0x3f);
        value[at++] = 0x80 | (c & 0x3f);
      } else {
        const next = i + 1 < end ? text[i + 1]! : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const point = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          value[at++] = 0xf0 | (point >> 18);
          value[at++] = 0x80 | ((point >> 12) & 0x3f);
          value[at++] = 0x80 | ((point >> 6) & 0x3f);
          value[at++] = 0x80 | (point & 0x3f);
          i += 1;
        } else {
          // A lone surrogate: U+FFFD, as String#toWellFormed makes it.
          value[at++] = 0xef;
          value[at++] = 0xbf;
          value[at++] = 0xbd;
        }
      }
    }
    this.at = at;
  }

  /**
   * new Date(ms).toISOString(), the part up to the second formatted once per second: requests
   * arrive in time order, and formatting a Date was a third of building the event.
   */
  timestamp(ms: number): void {
    const whole = Math.trunc(ms);
    const second = Math.floor(whole / 1000);
    if (second !== isoSecond) {
      isoSecond = second;
      isoPrefix = bytesOf(new Date(second * 1000).toISOString().slice(0, -4)); // 'YYYY-MM-DDTHH:MM:SS.'
    }
    this.raw(isoPrefix);
    const milli = whole - second * 1000;
    const value = this.value;
    value[this.at++] = 0x30 + Math.floor(milli / 100);
    value[this.at++] = 0x30 + (Math.floor(milli / 10) % 10);
    value[this.at++] = 0x30 + (milli % 10);
    value[this.at++] = 0x5a; // Z
  }

  /** A number as JavaScript prints it; integers and the latency's thousandths without a string. */
  number(n: number): void {
    if (Number.isInteger(n) && n >= 0 && n < 1e15) this.digits(n);
    else this.ascii(String(n));
  }

  /** Math.round(ms * 1000) / 1000, printed: whole milliseconds, then up to three decimals. */
  thousandths(ms: number): void {
    const micros = Math.round(ms * 1000);
    if (!(micros >= 0 && micros < 1e15)) return this.ascii(String(micros / 1000));
    const whole = Math.floor(micros / 1000);
    let fraction = micros - whole * 1000;
    this.digits(whole);
    if (fraction === 0) return;
    const value = this.value;
    value[this.at++] = 0x2e;
    for (let unit = 100; fraction > 0; unit /= 10) {
      const digit = Math.floor(fraction / unit);
      value[this.at++] = 0x30 + digit;
      fraction -= digit * unit;
    }
  }

  private digits(n: number): void {
    let count = 1;
    for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) count += 1;
    const value = this.value;
    let at = this.at + count;
    this.at = at;
    do {
      const rest = Math.floor(n / 10);
      value[--at] = 0x30 + (n - rest * 10);
      n = rest;
    } while (n > 0);
  }

  /** The key: `length` code units from `start` as UTF-8, as Buffer.from(text) encodes them. */
  keyFrom(text: Uint16Array, start: number, length: number): void {
    if (this.key.length < length * 3) this.key = Buffer.allocUnsafe(length * 3);
    // ASCII byte by byte: interleaved consumers change the key on every event, and building a
    // string to encode it cost more than the rest of the key's handling.
    const key = this.key;
    for (let i = 0; i < length; i += 1) {
      const c = text[start + i]!;
      if (c >= 0x80) {
        this.keyLength = key.write(String.fromCharCode.apply(null, text.subarray(start, start + length) as unknown as number[]), 0, 'utf8');
        return;
      }
      key[i] = c;
    }
    this.keyLength = length;
  }

  /** The key: the generated event id. */
  keyFromGeneratedId(): void {
    this.generatedId.copy(this.key, 0);
    this.keyLength = UUID_LENGTH;
  }
}

/** \u00XX after the backslash: JSON.stringify's lower-case hex. */
function unicodeEscape(value: Buffer, at: number, c: number): number {
  value[at++] = 0x75;
  value[at++] = HEX[(c >> 12) & 0xf]!;
  value[at++] = HEX[(c >> 8) & 0xf]!;
  value[at++] = HEX[(c >> 4) & 0xf]!;
  value[at++] = HEX[c & 0xf]!;
  return at;
}

const PARTS = {
  startGenerated: bytesOf('{"schema":"api-request/v1","event_id":"'),
  startFromRequestId: bytesOf(`{"schema":"api-request/v1","event_id":"${EVENT_ID_PREFIX}`),
  timestamp: bytesOf('","timestamp":"'),
  requestId: bytesOf('","request_id":'),
  gateway: bytesOf('","gateway":{"kind":"fastify"'),
  gatewayAfterRequestId: bytesOf(',"gateway":{"kind":"fastify"'),
  instance: bytesOf(',"instance":'),
  method: bytesOf('},"method":'),
  path: bytesOf(',"path":'),
  status: bytesOf(',"status":'),
  latency: bytesOf(',"latency_ms":{"total":'),
  close: bytesOf('}'),
  comma: bytesOf(','),
  clientIp: bytesOf(',"client_ip":'),
  api: bytesOf(',"api":'),
  pathTemplate: bytesOf(',"path_template":'),
  host: bytesOf(',"host":'),
  requestBytes: bytesOf(',"request_bytes":'),
  responseBytes: bytesOf(',"response_bytes":'),
  userAgent: bytesOf(',"user_agent":'),
  consumer: bytesOf(',"consumer":{'),
  consumerFields: [
    [CONSUMER_ID, bytesOf('"id":'), MAX.consumerId],
    [APP_ID, bytesOf('"app_id":'), MAX.appId],
    [SUBJECT, bytesOf('"subject":'), MAX.subject],
    [ORG_ID, bytesOf('"org_id":'), MAX.orgId],
    [AUTH_METHOD, bytesOf('"auth_method":'), MAX.authMethod],
  ] as const,
  scopes: bytesOf('"scopes":'),
} as const;

/** The text fields the gateway part is written from ('"gateway":{…},"method":…'). */
const GATEWAY_FIELDS = [INSTANCE, METHOD] as const;
/** The text fields the part after the latency is written from, before its two numbers. */
const TAIL_FIELDS = [CLIENT_IP, API, ROUTE, HOST, USER_AGENT, CONSUMER_ID, APP_ID, SUBJECT, ORG_ID, AUTH_METHOD, SCOPES] as const;

/** Code units of a text to write for at most `max`: cut on a code-point boundary. */
const cut = (text: Uint16Array, start: number, length: number, max: number): number => (length <= max ? length : cutEnd(max, text[start + max - 1]!));

/** Whether a text field is there and not empty (what the event leaves out either way). */
const has = (fields: ExchangeFields, field: number): boolean => fields.present[field] === 1 && fields.length[field]! > 0;

/** Bytes a field's text can take in the JSON: six per code unit (\uXXXX) and its quotes. */
const worstCase = (fields: ExchangeFields, field: number): number => (fields.present[field] ? fields.length[field]! * 6 + 2 : 0);

/**
 * One stretch of an event's JSON as last written, and the fields it was written from (their text
 * positions in the batch, where a repeated value keeps its position, and numbers): an event whose
 * fields are the same copies the bytes instead of escaping and writing each field again. A
 * gateway's consecutive requests mostly share client, host, route and consumer.
 */
class RepeatedPart {
  private bytes = Buffer.allocUnsafe(512);
  /** The kept bytes; null until some are. */
  private kept: Uint8Array | null = null;
  private readonly from: Float64Array;
  readonly next: Float64Array;
  /** Lookups in a row that found other fields. */
  private misses = 0;

  constructor(fields: number) {
    this.from = new Float64Array(fields);
    this.next = new Float64Array(fields);
  }

  /** Whether `next` (filled by the caller) equals what the kept bytes were written from. */
  repeats(): boolean {
    if (this.kept !== null) {
      const { from, next } = this;
      let same = true;
      // NaN (a number left out) equals itself here.
      for (let i = 0; i < from.length && same; i += 1) same = from[i] === next[i] || (from[i] !== from[i] && next[i] !== next[i]);
      if (same) {
        this.misses = 0;
        return true;
      }
    }
    this.misses += 1;
    return false;
  }

  copyTo(out: EventWriter): void {
    // TypedArray#set: Buffer#copy's JavaScript layers cost more than these ~200 bytes.
    out.value.set(this.kept!, out.at);
    out.at += this.kept!.length;
  }

  /**
   * Keeps `value[start, end)` as written from `next`. Interleaved traffic (consumers taking turns)
   * never repeats the previous event: after 8 misses in a row only every 16th is kept, so that it
   * costs little more than writing the fields did.
   */
  keep(value: Buffer, start: number, end: number): void {
    if (this.misses > 8 && this.misses % 16 !== 0) return;
    const length = end - start;
    if (length > this.bytes.length) this.bytes = Buffer.allocUnsafe(length);
    this.bytes.set(value.subarray(start, end));
    this.kept = this.bytes.subarray(0, length);
    this.from.set(this.next);
  }
}

/** A text field's position for RepeatedPart: where its text starts, -1 when it is left out. */
const positionOf = (fields: ExchangeFields, field: number): number => (has(fields, field) ? fields.start[field]! : -1);

/**
 * Writes each exchange of the batch into `records` as its event, keyed like every tap message
 * (consumer id, else request id, else event id; the tap's ingest/app.ts toMessage) and partitioned by that key.
 */
export function appendExchanges(records: RecordSetBuilder, batch: ExchangeBatch): void {
  const { text, numbers } = batch;
  const out = new EventWriter();
  // Within a batch a repeated value sits at one position: its decisions are kept by position.
  let keyAt = -1;
  let keyPartition = 0;
  let ipAt = -1;
  let ipValid = false;
  let routeAt = -1;
  let routeJson: Buffer = Buffer.alloc(0);
  const gateway = new RepeatedPart(GATEWAY_FIELDS.length);
  const tail = new RepeatedPart(TAIL_FIELDS.length + 2);
  scanExchangeBatch(batch, (f) => {
    const { start, length } = f;
    // The request id is written twice; a route's template is up to half again as long.
    let bound = 1_024 + worstCase(f, REQUEST_ID) + worstCase(f, ROUTE);
    for (let field = 0; field < start.length; field += 1) bound += worstCase(f, field);
    const idLength = has(f, REQUEST_ID) ? length[REQUEST_ID]! : 0;
    const generated = !(idLength > 0 && idLength <= MAX.eventId - EVENT_ID_PREFIX.length);
    if (generated) writeUuid(out.generatedId);
    const keyField = has(f, CONSUMER_ID) ? CONSUMER_ID : idLength > 0 ? REQUEST_ID : -1;
    // The same key as the last exchange's (a consumer's requests in a row) is already written.
    if (keyField === -1 || start[keyField] !== keyAt) {
      if (keyField === -1) out.keyFromGeneratedId();
      else out.keyFrom(text, start[keyField]!, length[keyField]!);
      keyAt = keyField === -1 ? -1 : start[keyField]!;
      keyPartition = (murmur2(out.key, out.keyLength) >>> 0) % records.partitions;
    }
    out.value = records.startValue(keyPartition, out.keyLength, bound);
    out.at = records.valueAt;

    // Varying per request: the id, the time, the path, the status and the latency.
    if (generated) {
      out.raw(PARTS.startGenerated);
      out.raw(out.generatedId);
    } else {
      out.raw(PARTS.startFromRequestId);
      out.unquoted(text, start[REQUEST_ID]!, idLength);
    }
    out.raw(PARTS.timestamp);
    out.timestamp(numbers[f.numbersAt + STARTED_AT]!);
    if (idLength > 0) {
      out.raw(PARTS.requestId);
      out.string(text, start[REQUEST_ID]!, cut(text, start[REQUEST_ID]!, idLength, MAX.requestId));
      out.raw(PARTS.gatewayAfterRequestId);
    } else out.raw(PARTS.gateway);

    for (let i = 0; i < GATEWAY_FIELDS.length; i += 1) gateway.next[i] = positionOf(f, GATEWAY_FIELDS[i]!);
    if (gateway.repeats()) gateway.copyTo(out);
    else {
      const from = out.at;
      if (has(f, INSTANCE)) {
        out.raw(PARTS.instance);
        out.string(text, start[INSTANCE]!, cut(text, start[INSTANCE]!, length[INSTANCE]!, MAX.gatewayInstance));
      }
      out.raw(PARTS.method);
      out.string(text, start[METHOD]!, length[METHOD]!);
      out.raw(PARTS.path);
      gateway.keep(out.value, from, out.at);
    }

    let pathLength = length[REQUEST_URL]!;
    for (let i = 0; i < pathLength; i += 1) {
      if (text[start[REQUEST_URL]! + i] === 0x3f) pathLength = i;
    }
    out.string(text, start[REQUEST_URL]!, cut(text, start[REQUEST_URL]!, pathLength, MAX.path));
    out.raw(PARTS.status);
    out.number(numbers[f.numbersAt + STATUS]!);
    out.raw(PARTS.latency);
    out.thousandths(numbers[f.numbersAt + ELAPSED]!);
    out.raw(PARTS.close);

    const requestBytes = numbers[f.numbersAt + REQUEST_BYTES]!;
    const responseBytes = numbers[f.numbersAt + RESPONSE_BYTES]!;
    for (let i = 0; i < TAIL_FIELDS.length; i += 1) tail.next[i] = positionOf(f, TAIL_FIELDS[i]!);
    tail.next[TAIL_FIELDS.length] = requestBytes;
    tail.next[TAIL_FIELDS.length + 1] = responseBytes;
    if (tail.repeats()) tail.copyTo(out);
    else {
      const from = out.at;
      // Checked here, off the event loop: behind a trusted proxy fastify's request.ip is a header's text.
      if (has(f, CLIENT_IP) && start[CLIENT_IP] !== ipAt) {
        ipAt = start[CLIENT_IP]!;
        ipValid = isIP(fieldText(text, f, CLIENT_IP)!) !== 0;
      }
      if (has(f, CLIENT_IP) && ipValid) {
        out.raw(PARTS.clientIp);
        out.string(text, start[CLIENT_IP]!, length[CLIENT_IP]!);
      }
      if (has(f, API)) {
        out.raw(PARTS.api);
        out.string(text, start[API]!, cut(text, start[API]!, length[API]!, MAX.api));
      }
      if (has(f, ROUTE)) {
        if (start[ROUTE] !== routeAt) {
          routeAt = start[ROUTE]!;
          routeJson = Buffer.from(JSON.stringify(cutText(template(fieldText(text, f, ROUTE)!), MAX.pathTemplate)), 'utf8');
        }
        out.raw(PARTS.pathTemplate);
        out.raw(routeJson);
      }
      if (has(f, HOST)) {
        out.raw(PARTS.host);
        out.string(text, start[HOST]!, cut(text, start[HOST]!, length[HOST]!, MAX.host));
      }
      if (!Number.isNaN(requestBytes)) {
        out.raw(PARTS.requestBytes);
        out.number(requestBytes);
      }
      if (!Number.isNaN(responseBytes)) {
        out.raw(PARTS.responseBytes);
        out.number(responseBytes);
      }
      if (has(f, USER_AGENT)) {
        out.raw(PARTS.userAgent);
        out.string(text, start[USER_AGENT]!, cut(text, start[USER_AGENT]!, length[USER_AGENT]!, MAX.userAgent));
      }
      if (has(f, CONSUMER_ID) || has(f, APP_ID) || has(f, SUBJECT) || has(f, ORG_ID) || has(f, AUTH_METHOD)) {
        out.raw(PARTS.consumer);
        let first = true;
        for (const [field, name, max] of PARTS.consumerFields) {
          if (!has(f, field)) continue;
          if (!first) out.raw(PARTS.comma);
          first = false;
          out.raw(name);
          out.string(text, start[field]!, cut(text, start[field]!, length[field]!, max));
        }
        if (has(f, SCOPES)) {
          out.raw(PARTS.comma);
          out.raw(PARTS.scopes);
          const scopes = fieldText(text, f, SCOPES)!.split(' ').slice(0, MAX.scopes).map((scope) => cutText(scope, MAX.scope));
          out.at += out.value.write(JSON.stringify(scopes), out.at, 'utf8');
        }
        out.raw(PARTS.close);
      }
      out.raw(PARTS.close);
      tail.keep(out.value, from, out.at);
    }

    records.endValue(out.key, out.keyLength, out.at);
  });
}
