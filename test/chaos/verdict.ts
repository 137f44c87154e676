// What the fault suite demands of its report: nothing acknowledged lost, nothing stored twice,
// nothing stored that no tap acknowledged, and every rollup counting each event once; after the
// billing fault, one finalized invoice per customer in Stripe, of the amount its usage prices to.
import type { ChaosReport } from './suite.ts';

export function verdict(report: ChaosReport): string[] {
  const problems: string[] = [];
  if (report.acknowledged === 0) problems.push('no event was acknowledged');
  if (!report.caughtUp) problems.push(`the pipeline did not catch up in time: ${report.uniqueStored} of ${report.acknowledged} acknowledged events stored`);
  if (report.lost !== 0) problems.push(`${report.lost} acknowledged events lost`);
  if (report.duplicated !== 0) problems.push(`${report.duplicated} events stored twice`);
  if (report.unexpected !== 0) problems.push(`${report.unexpected} stored events no tap acknowledged`);
  if (report.stored !== report.acknowledged) problems.push(`count() ${report.stored} != acknowledged ${report.acknowledged}`);
  for (const [table, calls] of Object.entries(report.rollups)) {
    if (calls !== report.acknowledged) problems.push(`${table} counts ${calls} calls, not ${report.acknowledged}`);
  }
  const invoices = report.invoices;
  if (invoices) {
    if (invoices.customers === 0) problems.push('the billing dry run priced no customer');
    if (invoices.duplicates !== 0) problems.push(`${invoices.duplicates} duplicate invoices in Stripe`);
    if (invoices.wrongAmounts !== 0) problems.push(`${invoices.wrongAmounts} invoices of the wrong amount`);
    if (invoices.missing !== 0) problems.push(`${invoices.missing} customers without an invoice`);
    if (invoices.unfinalized !== 0) problems.push(`${invoices.unfinalized} invoices not finalized`);
    if (invoices.periods === 0) problems.push('the billing fault was never injected');
    if (invoices.invoices !== invoices.customers * invoices.periods) problems.push(`${invoices.invoices} invoices for ${invoices.customers} customers × ${invoices.periods} periods`);
  }
  return problems;
}
