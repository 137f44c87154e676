// Hook for the billing fault of the suite: SIGKILL of the billing replica holding the run lease in
// the middle of a run, then one invoice per customer in Stripe. The run lease (exactly one billing
// run per period across replicas) is built on another branch; once it is in main, this module
// starts two billing replicas and exports the fault, and suite.ts injects it with the others.
import type { Fault } from './fault.ts';

export const billingLeaseFault: Fault | undefined = undefined;
