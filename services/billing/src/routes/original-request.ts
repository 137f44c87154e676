// What a gateway's authorization call says about the original request. Gateways ask in two ways:
// Envoy ext_authz, APISIX forward-auth and the like append the original path to the prefix
// (`ANY /v1/authorize/<original path>`), keeping the original method and host; NGINX auth_request,
// Caddy forward_auth and Traefik forwardAuth call a fixed URI and name the original in headers
// (X-Original-URI or X-Forwarded-Uri, X-Forwarded-Method, X-Forwarded-Host).
import type { IncomingHttpHeaders } from 'node:http';

export const AUTHORIZE_PATH = '/v1/authorize';

export interface OriginalRequest {
  method: string;
  host: string;
  /** Path and query string, as the caller sent them. */
  uri: string;
}

const first = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

export function originalRequest(method: string, url: string, headers: IncomingHttpHeaders): OriginalRequest {
  // '/v1/authorize/orders/1' → '/orders/1'; '/v1/authorize?x' or '/v1/authorize' → the headers'.
  const tail = url.charCodeAt(AUTHORIZE_PATH.length) === 0x2f ? url.slice(AUTHORIZE_PATH.length) : undefined;
  return {
    method: (first(headers['x-forwarded-method']) ?? first(headers['x-original-method']) ?? method).toUpperCase(),
    host: first(headers['x-forwarded-host']) ?? first(headers['x-original-host']) ?? headers.host ?? '',
    uri: tail ?? first(headers['x-original-uri']) ?? first(headers['x-forwarded-uri']) ?? '/',
  };
}

/** The API key the original request carries: the first of `headerNames` present, else its `api_key` query parameter. */
export function presentedApiKey(headers: IncomingHttpHeaders, headerNames: readonly string[], uri: string): string | undefined {
  for (const name of headerNames) {
    const value = first(headers[name]);
    if (value) return value;
  }
  const query = uri.indexOf('?');
  if (query < 0 || !uri.includes('api_key=', query)) return undefined;
  return new URLSearchParams(uri.slice(query + 1)).get('api_key') || undefined;
}
