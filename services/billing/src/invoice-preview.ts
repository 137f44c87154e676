// The invoice a billing run would make now for one consumer and period: the same usage query
// (usage-query.ts, exact and deduplicated by event id) and the same pricing step (consumer-draft.ts)
// as the run, so a preview and the invoice cannot disagree on the usage they see. Also the quota
// and, per meter, how much of its included units the usage has used. Amounts are minor units as
// decimal strings next to the currency; nothing is written.
import type { ClickHouseClient } from '@clickhouse/client';
import { quotaState, quotaUnits, type Period, type PlanCatalog } from '@tollgate/pricing';
import { readConsumers } from '@tollgate/registry';
import { draftInvoice } from './consumer-draft.ts';
import { lineKey, unpricedReason } from './run.ts';
import { usageForPeriod } from './usage-query.ts';

export interface PreviewLine {
  key: string;
  description: string;
  /** Absent on the base fee. */
  meter?: string;
  api?: string;
  plan?: string;
  units: string;
  included_units_used: string;
  billable_units: string;
  amount_minor: string;
}

export interface InvoicePreview {
  consumer_id: string;
  period: string;
  plan_id: string;
  /** '' when nothing is priceable (the consumer's plan is not in the plans file). */
  currency: string;
  lines: PreviewLine[];
  total_minor: string;
  lost_revenue_minor: string;
  /** The consumer's current plan's quota; null without one. */
  quota: { limit: number; kind: 'soft' | 'hard'; used: number; remaining: number } | null;
  included_units: { plan: string; meter: string; included_units: string; used: string }[];
  /** Why some usage is not on the invoice (unknown plan, other currency). */
  unpriced?: string;
}

/** Undefined when the consumer is not in the registry. */
export async function previewInvoice(client: ClickHouseClient, database: string, plans: PlanCatalog, consumerId: string, period: Period): Promise<InvoicePreview | undefined> {
  const [[consumer], usage] = await Promise.all([readConsumers(client, database, consumerId), usageForPeriod(client, database, period, consumerId)]);
  if (!consumer) return undefined;
  const stamped = usage.get(consumerId) ?? [];
  const { assignment, draft } = draftInvoice(consumer.plan_id, stamped, plans);
  const lines: PreviewLine[] = (draft?.lines ?? []).map((line) =>
    line.kind === 'base_fee'
      ? { key: lineKey(line), description: line.description, units: '1', included_units_used: '0', billable_units: '1', amount_minor: line.amountMinor.toString() }
      : {
          key: lineKey(line),
          description: line.description,
          meter: line.meterId,
          ...(line.api === undefined ? {} : { api: line.api }),
          ...(line.planId === undefined ? {} : { plan: line.planId }),
          units: line.units.toString(),
          included_units_used: line.includedUnits.toString(),
          billable_units: line.billableUnits.toString(),
          amount_minor: line.amountMinor.toString(),
        },
  );
  // Included units are one allowance per meter of each plan (price.ts priceMeter), spread over its lines.
  const included: InvoicePreview['included_units'] = [];
  for (const group of assignment.groups) {
    for (const meter of group.plan.meters) {
      const used = (draft?.lines ?? []).reduce(
        (sum, line) => (line.kind === 'usage' && line.meterId === meter.id && (line.planId ?? group.plan.id) === group.plan.id ? sum + line.includedUnits : sum),
        0n,
      );
      included.push({ plan: group.plan.id, meter: meter.id, included_units: String(meter.includedUnits), used: used.toString() });
    }
  }
  const plan = plans.plans.get(consumer.plan_id);
  const quota = plan && quotaState(plan, quotaUnits(plan, stamped.flatMap((group) => group.rows)));
  const unpriced = unpricedReason(assignment);
  return {
    consumer_id: consumerId,
    period: period.name,
    plan_id: consumer.plan_id,
    currency: draft?.currency ?? '',
    lines,
    total_minor: (draft?.totalMinor ?? 0n).toString(),
    lost_revenue_minor: (draft?.lostRevenueMinor ?? 0n).toString(),
    quota: quota && plan?.quota ? { limit: quota.limit, kind: plan.quota.kind, used: quota.used, remaining: quota.remaining } : null,
    included_units: included,
    ...(unpriced ? { unpriced } : {}),
  };
}
