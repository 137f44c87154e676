// The catalog asked about one request rather than one event: a policy point such as billing's
// /v1/authorize knows the host, the path and perhaps the gateway's names for the API and route,
// and must tell a request no rule claims from a product (the matcher falls back to a name for
// analytics, which is not a product to authorize against).
import type { CatalogMatcher } from './catalog.ts';

export interface ApiProductRequest {
  host: string;
  /** The request path; a query string or fragment is ignored. */
  path: string;
  /** Needed only by rules that name methods: without it they do not match. */
  method?: string;
  /** The gateway's service / API name, when it sends one. */
  api?: string;
  /** The gateway's route name, when it sends one. */
  route?: string;
}

export interface ApiProduct {
  product: string;
  /** '' when the rule names no version. */
  version: string;
  pathTemplate: string;
  billable: boolean;
}

/** The product of the first rule that claims the request, or undefined when none does. */
export function resolveApiProduct(catalog: CatalogMatcher, request: ApiProductRequest): ApiProduct | undefined {
  const match = catalog({ ...request, method: request.method ?? '' });
  if (!match.matched) return undefined;
  return { product: match.api, version: match.apiVersion, pathTemplate: match.pathTemplate, billable: match.billable };
}
