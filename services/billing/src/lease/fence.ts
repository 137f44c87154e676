// What a billing run checks before each Stripe side effect when replicas share a run lease: that
// this process still holds it. A holder that lost the lease (evicted after a pause, or the
// partition moved) stops at its next check instead of racing the replica that took over; the
// Stripe idempotency keys, identical on both, cover the one call that may already be in flight.

export class LeaseLostError extends Error {
  constructor(reason: string) {
    super(`the billing run lease was lost: ${reason}`);
    this.name = 'LeaseLostError';
  }
}

/** Throws LeaseLostError when the lease is no longer held. */
export type RunFence = () => void;
