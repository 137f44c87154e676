// What an HTTP request leaves in the log, for every service: the method and the path with every
// query value replaced (an `?api_key=…` that a gateway forwards must not land in the log), and
// never a credential header, whoever logs a request's headers. pino's `redact` guards the headers
// wherever they are logged; the `req` serializer keeps query values out of fastify's request lines.
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';

/** Headers that carry a credential: redacted wherever a request's or answer's headers are logged. */
export const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'x-api-key', 'apikey', 'cookie', 'set-cookie', 'x-tollgate-gateway-token', 'stripe-signature'] as const;

export const REDACTED = '[redacted]';

const HEADER_HOLDERS = ['headers', 'req.headers', 'request.headers', 'res.headers'];
const REDACT_PATHS = HEADER_HOLDERS.flatMap((holder) => CREDENTIAL_HEADERS.map((header) => `${holder}["${header}"]`));

const PARAM_NAME = /^[\w.\-[\]%]{1,64}$/;

/**
 * `/v1/authorize/orders?api_key=[redacted]`: the names of the query parameters stay, their values
 * do not; a pair without `=` (or an odd name) may itself be the secret and is replaced whole.
 */
export function redactQuery(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const pairs = url
    .slice(at + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? '' : pair.slice(0, eq);
      return PARAM_NAME.test(name) ? `${name}=${REDACTED}` : REDACTED;
    });
  return `${url.slice(0, at)}?${pairs.join('&')}`;
}

function requestForLog(request: FastifyRequest): object {
  // Something else logged under `req` (a handler's own object): its headers are redacted by path.
  if (typeof request.url !== 'string') return request;
  return { method: request.method, url: redactQuery(request.url), host: request.host, remoteAddress: request.ip, remotePort: request.socket?.remotePort };
}

/** The logger an HTTP app gets: fastify adopts its serializers in preference to its own. */
export function httpLogger(log: Logger): FastifyBaseLogger {
  return log.child({ component: 'http' }, { serializers: { req: requestForLog }, redact: { paths: REDACT_PATHS, censor: REDACTED } });
}
