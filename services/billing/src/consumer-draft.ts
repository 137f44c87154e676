// One consumer's invoice for a period, from its usage: the pricing step of a billing run
// (run.ts), shared with the invoice preview (invoice-preview.ts) so that a preview shows exactly
// the lines the run would make (plan-assignment.ts decides which plan prices which usage).
import { assignPlans, priceAssignment, type InvoiceDraft, type PlanAssignment, type PlanCatalog, type StampedUsage } from '@tollgate/pricing';

export interface ConsumerDraft {
  assignment: PlanAssignment;
  /** Undefined when nothing is priceable. */
  draft: InvoiceDraft | undefined;
}

/** `planId`: the consumer's plan in the registry now. */
export function draftInvoice(planId: string, usage: readonly StampedUsage[], plans: PlanCatalog): ConsumerDraft {
  const assignment = assignPlans(planId, usage, plans);
  return { assignment, draft: priceAssignment(assignment) };
}
