// What billing tells the outside world when an admin changes a consumer's standing. A suspension is
// the one change a customer must hear about (their calls start failing), so it has a named hook:
// the webhook outbox plugs in here as `consumerSuspended: (c) => outbox.emit('consumer.suspended',
// { consumer_id, … }, dedupKey)`. Without an outbox the hook does nothing.
import type { ConsumerRecord } from '@tollgate/registry';
import type { WebhookEmitter } from './webhooks/events.ts';

export interface ConsumerHooks {
  /** A consumer went from active to suspended (not called when it already was). `at`: when, in ms. */
  consumerSuspended(consumer: ConsumerRecord, at: number): Promise<void>;
}

export const NO_CONSUMER_HOOKS: ConsumerHooks = { consumerSuspended: async () => undefined };

/** The dedup key of one suspension: the same transition, reported twice, is one event. */
export function suspensionDedupKey(consumerId: string, at: number): string {
  return `consumer.suspended:${consumerId}:${at}`;
}

/** The hooks of a service with a webhook outbox: a suspension becomes a consumer.suspended event. */
export function webhookConsumerHooks(emitter: WebhookEmitter): ConsumerHooks {
  return {
    consumerSuspended: async (consumer, at) => {
      await emitter.emit('consumer.suspended', { consumer_id: consumer.consumer_id, plan_id: consumer.plan_id, suspended_at: new Date(at).toISOString() }, suspensionDedupKey(consumer.consumer_id, at));
    },
  };
}
