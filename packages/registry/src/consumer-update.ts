// Checks the body of an admin request that changes one consumer (billing's PUT
// /v1/admin/consumers/:id) before it reaches the table: a wrong type or an unknown plan would
// otherwise be stored and only surface when the consumer is billed.
import { CONSUMER_STATUSES, type ConsumerUpdate } from './consumer-table.ts';

/** The plan ids a consumer may be put on (billing's plans file); `keys` names them in the message. */
export interface KnownPlans {
  has(planId: string): boolean;
  keys(): Iterable<string>;
}

const UPDATABLE = ['org_id', 'name', 'email', 'plan_id', 'stripe_customer_id', 'tags', 'metadata', 'status', 'blocked_apis'];
const STRING_FIELDS = ['org_id', 'name', 'email', 'plan_id', 'stripe_customer_id'];

/** The update, or the first problem found, worded for the API caller. */
export function parseConsumerUpdate(body: unknown, plans: KnownPlans): { update: ConsumerUpdate } | { problem: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { problem: 'the body must be a JSON object' };
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !UPDATABLE.includes(k));
  if (unknown.length > 0) return { problem: `unknown fields: ${unknown.join(', ')} (allowed: ${UPDATABLE.join(', ')})` };
  for (const key of STRING_FIELDS) {
    if (b[key] !== undefined && typeof b[key] !== 'string') return { problem: `${key} must be a string` };
  }
  if (typeof b.plan_id === 'string' && b.plan_id !== '' && !plans.has(b.plan_id)) {
    return { problem: `plan_id "${b.plan_id}" is not in the plans file (known: ${[...plans.keys()].join(', ')})` };
  }
  if (typeof b.email === 'string' && b.email !== '' && !/^[^\s@]+@[^\s@]+$/.test(b.email)) return { problem: 'email is not an email address' };
  for (const key of ['tags', 'blocked_apis']) {
    const list = b[key];
    if (list !== undefined && (!Array.isArray(list) || list.some((t) => typeof t !== 'string'))) return { problem: `${key} must be an array of strings` };
  }
  if (b.status !== undefined && !(CONSUMER_STATUSES as readonly unknown[]).includes(b.status)) return { problem: `status must be one of ${CONSUMER_STATUSES.join(', ')}` };
  if (b.metadata !== undefined && (typeof b.metadata !== 'object' || b.metadata === null || Object.values(b.metadata).some((v) => typeof v !== 'string'))) {
    return { problem: 'metadata must be an object of strings' };
  }
  return { update: b };
}
