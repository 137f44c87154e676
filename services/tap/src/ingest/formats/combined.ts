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

function mapCombined(line: string, ctx: MapContext): MapResult {
  const m = LINE.exec(line);
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

  return finish({
    event_id: ctx.newId(),
    timestamp: ts,
    gateway: { kind: 'generic', instance: ctx.gatewayInstance },
    method: req.method,
    path: req.path,
    status: req.status,
    response_bytes: count(bytes),
    client_ip: clientIp(remoteAddr),
    user_agent: str(unescape(userAgent), MAX.userAgent),
    consumer: user !== undefined ? { ...credential, id: user, auth_method: 'basic-auth' } : credential,
  });
}

export const combined: InputFormat = {
  name: 'combined',
  contentTypes: ['text/plain'],
  split: safeSplit((body) => splitLines(body)),
  map: safeMapText(mapCombined),
};
