// Revenue of a range grouped by who pays (organisation) and where the calls came from (country),
// built on the exact per-consumer figures of priceRange (revenue.ts) so that every grouping adds
// up to revenue_summary. An organisation's revenue is the sum of its consumers' (registry org_id,
// '' for consumers not in the registry). A consumer's revenue is spread over countries in
// proportion to its billable calls there, its lost revenue in proportion to its server errors
// there (largest remainder: the parts add up to the consumer's figure to the minor unit); a
// consumer without such calls in the range (a base fee alone) counts under country ''.
import { allocate, formatMoney } from '@tollgate/pricing';
import { queryRows } from '@tollgate/platform';
import { P } from './params.ts';
import { priceRange, type PricedInvoice } from './revenue.ts';
import { SUMS as s, splitUsage } from './sources.ts';
import { col, sqlParams, type NamedQuery, type QueryContext, type Row } from './types.ts';

const money = (name: string) => [col(`${name}_minor`, 'money_minor'), col(name, 'string')];

interface Totals {
  key: string;
  currency: string;
  consumers: Set<string>;
  revenue: bigint;
  lost: bigint;
}

/** Proportional split that keeps the sign of `total` (marginal revenue can be negative). */
function allocateSigned(total: bigint, weights: ReadonlyMap<string, bigint>): Map<string, bigint> {
  if (total >= 0n) return allocate(total, weights);
  return new Map([...allocate(-total, weights)].map(([k, v]) => [k, -v]));
}

function add(totals: Map<string, Totals>, key: string, invoice: PricedInvoice, revenue: bigint, lost: bigint): void {
  const id = `${key}\u0000${invoice.currency}`;
  const t = totals.get(id) ?? { key, currency: invoice.currency, consumers: new Set<string>(), revenue: 0n, lost: 0n };
  t.consumers.add(invoice.consumerId);
  t.revenue += revenue;
  t.lost += lost;
  totals.set(id, t);
}

/** Largest revenue first, then the key: a stable order for tables and tests. */
function rows(totals: Map<string, Totals>, keyColumn: string, limit: number): Row[] {
  return [...totals.values()]
    .sort((a, b) => (a.revenue === b.revenue ? (a.key < b.key ? -1 : a.key > b.key ? 1 : a.currency < b.currency ? -1 : 1) : a.revenue > b.revenue ? -1 : 1))
    .slice(0, limit)
    .map((t): Row => ({
      [keyColumn]: t.key,
      currency: t.currency,
      consumers: t.consumers.size,
      revenue_minor: t.revenue.toString(),
      revenue: formatMoney(t.revenue, t.currency),
      lost_revenue_minor: t.lost.toString(),
      lost_revenue: formatMoney(t.lost, t.currency),
    }));
}

export const revenueByOrganisation: NamedQuery = {
  name: 'revenue_by_organisation',
  description: "Revenue (usage + base fees) and revenue lost per organisation and currency: the sum of its consumers' figures",
  params: [P.from, P.to, P.limit(100)],
  columns: [col('org_id', 'string'), col('currency', 'string'), col('consumers'), ...money('revenue'), ...money('lost_revenue')],
  async run(ctx, params) {
    const [{ invoices }, orgs] = await Promise.all([
      priceRange(ctx, params, false),
      queryRows<{ consumer_id: string; org_id: string }>(ctx.client, `SELECT consumer_id, org_id FROM ${ctx.database}.consumers FINAL WHERE NOT deleted`),
    ]);
    const orgOf = new Map(orgs.map((o) => [o.consumer_id, o.org_id]));
    const totals = new Map<string, Totals>();
    for (const invoice of invoices) add(totals, orgOf.get(invoice.consumerId) ?? '', invoice, invoice.totalMinor, invoice.lostRevenueMinor);
    return rows(totals, 'org_id', params.limit);
  },
};

/** Billable calls and server errors per consumer and country in the range: the attribution weights. */
async function countryWeights(ctx: QueryContext, params: Parameters<NamedQuery['run']>[1]) {
  const u = splitUsage(ctx.database, params.from, params.to, 'day', ctx.retention, ctx.now(), 'true');
  const found = await queryRows<{ consumer_id: string; country: string; billable: string; failed: string }>(
    ctx.client,
    `SELECT consumer_id, country, ${s.billable} AS billable, ${s.callsIf("status_class = '5xx'")} AS failed FROM ${u.from} GROUP BY consumer_id, country`,
    { ...sqlParams(params), ...u.params },
  );
  const weights = new Map<string, { billable: Map<string, bigint>; failed: Map<string, bigint> }>();
  for (const r of found) {
    const w = weights.get(r.consumer_id) ?? { billable: new Map<string, bigint>(), failed: new Map<string, bigint>() };
    w.billable.set(r.country, BigInt(r.billable));
    w.failed.set(r.country, BigInt(r.failed));
    weights.set(r.consumer_id, w);
  }
  return weights;
}

export const revenueByCountry: NamedQuery = {
  name: 'revenue_by_country',
  description: "Revenue and revenue lost per country and currency: each consumer's figures spread over countries by its billable calls (lost revenue: its server errors) there",
  params: [P.from, P.to, P.limit(250)],
  columns: [col('country', 'string'), col('currency', 'string'), col('consumers'), ...money('revenue'), ...money('lost_revenue')],
  async run(ctx, params) {
    const [{ invoices }, weights] = await Promise.all([priceRange(ctx, params, false), countryWeights(ctx, params)]);
    const totals = new Map<string, Totals>();
    for (const invoice of invoices) {
      const w = weights.get(invoice.consumerId);
      const revenue = w ? allocateSigned(invoice.totalMinor, w.billable) : new Map<string, bigint>();
      const lost = w ? allocateSigned(invoice.lostRevenueMinor, w.failed) : new Map<string, bigint>();
      const given = (m: Map<string, bigint>) => [...m.values()].reduce((a, b) => a + b, 0n);
      // What no call can carry (no weights: a base fee without calls in the range) stays visible under ''.
      if (invoice.totalMinor !== given(revenue)) revenue.set('', (revenue.get('') ?? 0n) + invoice.totalMinor - given(revenue));
      if (invoice.lostRevenueMinor !== given(lost)) lost.set('', (lost.get('') ?? 0n) + invoice.lostRevenueMinor - given(lost));
      for (const country of new Set([...revenue.keys(), ...lost.keys()])) add(totals, country, invoice, revenue.get(country) ?? 0n, lost.get(country) ?? 0n);
    }
    return rows(totals, 'country', params.limit);
  },
};
