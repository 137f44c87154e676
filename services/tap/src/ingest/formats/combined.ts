// The NGINX / Apache httpd "combined" text format, one request per line:
//   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
// The common log format (no referer/agent) is accepted as well.
//
// The format has no request id, latency, host or consumer, so: event_id is always ctx.newId()
// (a re-shipped file produces new events — hashing the line instead would merge genuinely
// identical requests, since time_local has one-second resolution); gateway kind 'generic' (the
// line does not say whether nginx or Apache wrote it); consumer only when $remote_user is set,
// as { id: remote_user, auth_method: 'basic-auth' }; response_bytes = $body_bytes_sent.
// The query string is dropped from the path; a configured secret query parameter in it only
// ever reaches the event as credential_hmac.
//
// Lines cut short by their writer (syslog's message size, a shipper's line buffer) lose their
// end: the user agent or referer without its closing quote, or everything after the byte count.
// Such a line still yields its event when everything billing reads is whole — address, user,
// time, request line, status and the byte count (followed by the space that proves it whole);
// the cut user agent is kept as far as it goes, an escape or UTF-8 sequence cut in its middle
// dropped. The result says `repaired` (counted in tollgate_tap_lines_repaired_total). A line cut
// inside the byte count cannot be told from a common-format line: its count is taken as written.
import { API_REQUEST_LIMITS as MAX } from '@tollgate/schemas';
import {
  clientIp, count, credentialFrom, finish, method, required, safeMapText, safeSplit, splitLines, splitTarget,
  status, str, timestamp,
} from './common.ts';
import type { InputFormat, MapContext, MapResult } from './types.ts';

// Quoted fields may contain escaped quotes: Apache writes \" and nginx writes \x22.
const QUOTED = '"((?:[^"\\\\]|\\\\.)*)"';
const LINE = new RegExp(
  `^(\\S+) \\S+ (\\S+) \\[([^\\]]+)\\] ${QUOTED} (\\d{3}) (\\d+|-)(?: ${QUOTED}(?: ${QUOTED})?)?\\s*$`,
);
/** A quoted field's text up to where the line was cut: no closing quote, maybe half an escape. */
const CUT = '((?:[^"\\\\]|\\\\.)*\\\\?)';
/** A line cut after its byte count: then the referer and the user agent, each perhaps cut. */
const CUT_LINE = new RegExp(
  `^(\\S+) \\S+ (\\S+) \\[([^\\]]+)\\] ${QUOTED} (\\d{3}) (\\d+|-) (?:"${CUT}(?:"(?: (?:"${CUT}"?)?)?)?)?$`,
);

// Both servers escape every byte of a non-ASCII character (nginx: above 126; Apache: non-printable)
// as \xHH: a run of them is the character's UTF-8 bytes, decoded together. A run that is not UTF-8
// (a client's raw bytes, or a sequence cut with its line) becomes U+FFFD, as undecodable bytes of
// the body itself do.
const utf8 = new TextDecoder('utf-8', { fatal: false });
const ESCAPE = /((?:\\x[0-9a-f]{2})+)|\\(.)/gi;

function unescape(text: string | undefined): string | undefined {
  if (text === undefined || !text.includes('\\')) return text;
  return text.replace(ESCAPE, (_, bytes: string | undefined, char: string | undefined) =>
    bytes !== undefined ? utf8.decode(Buffer.from(bytes.replace(/\\x/gi, ''), 'hex')) : (char ?? ''),
  );
}

/** A field the line's cut ended inside: without half an escape, or the bytes of half a character. */
function unescapeCut(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const whole = text.replace(/\\(?:x[0-9a-f]?)?$/i, '');
  const tail = /(?:\\x[0-9a-f]{2})+$/i.exec(whole);
  if (tail === null) return unescape(whole);
  // A streaming decode keeps back an incomplete last sequence instead of making it U+FFFD.
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.from(tail[0].replace(/\\x/gi, ''), 'hex'), { stream: true });
  return `${unescape(whole.slice(0, tail.index)) ?? ''}${decoded}`;
}

function mapCombined(line: string, ctx: MapContext): MapResult {
  const whole = LINE.exec(line);
  const cut = whole === null ? CUT_LINE.exec(line) : null;
  const m = whole ?? cut;
  if (!m) return { ok: false, reason: 'line is not in the combined (or common) log format' };
  const [, remoteAddr, remoteUser, timeLocal, request, statusText, bytes, , userAgent] = m;

  const parts = (unescape(request) ?? '').split(' ');
  if (parts.length < 2 || parts.length > 3) return { ok: false, reason: `request line "${(request ?? '').slice(0, 80)}" is not "METHOD target PROTOCOL"` };
  const target = splitTarget(parts[1]);
  const req = required({ method: method(parts[0]), path: target?.path, status: status(statusText) });
  if (!req.ok) return req;

  const ts = timestamp(timeLocal);
  if (ts === undefined) return { ok: false, reason: `time "${timeLocal ?? ''}" is not a valid [day/Mon/year:hh:mm:ss zone] time` };
  const user = str(remoteUser, MAX.consumerId);
  const credential = credentialFrom(undefined, target?.query, ctx);

  const result = finish({
    event_id: ctx.newId(),
    timestamp: ts,
    gateway: { kind: 'generic', instance: ctx.gatewayInstance },
    method: req.method,
    path: req.path,
    status: req.status,
    response_bytes: count(bytes),
    client_ip: clientIp(remoteAddr),
    user_agent: str(cut ? unescapeCut(userAgent) : unescape(userAgent), MAX.userAgent),
    consumer: user !== undefined ? { ...credential, id: user, auth_method: 'basic-auth' } : credential,
  });
  return cut && result.ok ? { ...result, repaired: true } : result;
}

export const combined: InputFormat = {
  name: 'combined',
  contentTypes: ['text/plain'],
  split: safeSplit((body, _type, maxRecords) => splitLines(body, maxRecords)),
  map: safeMapText(mapCombined),
  parseLine: (line) => line,
};
