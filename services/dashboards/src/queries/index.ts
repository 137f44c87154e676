// The named queries of GET /v1/queries, in listing order.
import { latestRequests } from './latest.ts';
import { latencyByApi, latencyByUpstream, latencyOverTime } from './latency.ts';
import { refusedByPolicy } from './refused.ts';
import { revenueByApi, revenueByConsumer, revenueSummary } from './revenue.ts';
import { revenueByCountry, revenueByOrganisation } from './revenue-attribution.ts';
import { callsByCity, callsByCountry, callsOverTime, statusOverTime, topApis, topConsumers, topOrganisations } from './usage.ts';
import type { NamedQuery } from './types.ts';

export const NAMED_QUERIES: readonly NamedQuery[] = [
  topApis,
  callsOverTime,
  statusOverTime,
  callsByCountry,
  callsByCity,
  topConsumers,
  topOrganisations,
  refusedByPolicy,
  revenueByApi,
  revenueByConsumer,
  revenueByOrganisation,
  revenueByCountry,
  revenueSummary,
  latencyByApi,
  latencyByUpstream,
  latencyOverTime,
  latestRequests,
];

export const QUERIES_BY_NAME: ReadonlyMap<string, NamedQuery> = new Map(NAMED_QUERIES.map((q) => [q.name, q]));

export { consumerUsage } from './usage.ts';
export { refusedByPolicy } from './refused.ts';
export { priceRange } from './revenue.ts';
export * from './params.ts';
export * from './sources.ts';
export * from './types.ts';
