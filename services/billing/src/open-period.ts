// A real (non-dry) run of the current or a future period invoices usage that is still coming in:
// the customer is billed for part of the month and the rest lands as late usage. Such a run needs
// an explicit force (API `force: true`, CLI `--force`); the API and the CLI ask the same question here.
import { periodOf } from '@tollgate/pricing';

/** Why a run of `period` needs force at `now`, or undefined when it does not. */
export function openPeriodRefusal(period: string, dryRun: boolean, now: Date): string | undefined {
  if (dryRun) return undefined;
  const current = periodOf(now).name;
  if (period < current) return undefined; // YYYY-MM names sort as the months do
  const when = period === current ? 'the current period, still open' : 'a future period';
  return `${period} is ${when}: invoicing it now bills usage that is still coming in. Run it with force (API "force": true, CLI --force), or as a dry run to preview`;
}
