// What the tap's request log says about a request: method, path, host, client — never a
// credential. Gateways may send a token or API key in the query string (?api_key=…), so the
// query's values are replaced; headers (Authorization among them) are not logged at all.
// A local stand-in until the platform's redaction covers every service's HTTP log.
import type { FastifyRequest } from 'fastify';

const REDACTED = '[redacted]';

/** The URL with each query parameter's value replaced: '/v1/ingest/kong?api_key=[redacted]'. */
export function redactedUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const names = url
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => `${part.split('=')[0] ?? ''}=${REDACTED}`);
  return `${url.slice(0, q)}?${names.join('&')}`;
}

/** pino serializer for the `req` fastify logs with each request. */
export function loggedRequest(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactedUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
  };
}
