import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '@tollgate/schemas';
import { testClickHouse, type TestClickHouse } from '../../../test/harness/clickhouse.ts';
import { deleteConsumer, readConsumers, setStripeCustomerId, upsertConsumer, writeConsumers, type ConsumerRecord } from '../src/consumer-table.ts';
import { parseConsumerUpdate } from '../src/consumer-update.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await testClickHouse('registry');
  await migrate(ch.client, { database: ch.database, usageRetentionDays: 400 });
});
afterAll(() => ch.client.close());

const alice: ConsumerRecord = { consumer_id: 'alice', org_id: 'acme', name: 'Alice', email: 'alice@acme.test', plan_id: 'starter', stripe_customer_id: '', tags: ['vip'], metadata: { region: 'eu' }, status: 'active', blocked_apis: [] };

describe('the consumers table', () => {
  it('upsertConsumer creates a consumer with empty fields, then merges later updates into it', async () => {
    const first = await upsertConsumer(ch.client, ch.database, 'carol', { plan_id: 'free' });
    expect(first).toEqual({ created: true, record: { consumer_id: 'carol', org_id: '', name: '', email: '', plan_id: 'free', stripe_customer_id: '', tags: [], metadata: {}, status: 'active', blocked_apis: [] } });
    const second = await upsertConsumer(ch.client, ch.database, 'carol', { name: 'Carol', tags: ['beta'] });
    expect(second).toEqual({ created: false, record: { ...first.record, name: 'Carol', tags: ['beta'] } });
    expect(await readConsumers(ch.client, ch.database, 'carol')).toEqual([second.record]);
    const suspended = await upsertConsumer(ch.client, ch.database, 'carol', { status: 'suspended', blocked_apis: ['search'] });
    expect(await readConsumers(ch.client, ch.database, 'carol')).toEqual([{ ...second.record, status: 'suspended', blocked_apis: ['search'] }]);
    expect(suspended.created).toBe(false);
  });

  it('setStripeCustomerId keeps the rest of the record; deleteConsumer hides the consumer from every read', async () => {
    await writeConsumers(ch.client, ch.database, [alice]);
    await setStripeCustomerId(ch.client, ch.database, alice, 'cus_123');
    expect(await readConsumers(ch.client, ch.database, 'alice')).toEqual([{ ...alice, stripe_customer_id: 'cus_123' }]);

    await deleteConsumer(ch.client, ch.database, 'alice');
    expect(await readConsumers(ch.client, ch.database, 'alice')).toEqual([]);
    expect((await readConsumers(ch.client, ch.database)).map((c) => c.consumer_id)).not.toContain('alice');
    expect((await upsertConsumer(ch.client, ch.database, 'alice', {})).created).toBe(true);
  });
});

describe('parseConsumerUpdate', () => {
  const plans = new Set(['free', 'starter']);

  it('passes a valid update through and names the first problem of an invalid one', () => {
    expect(parseConsumerUpdate({ plan_id: 'starter', tags: ['a'], metadata: { k: 'v' } }, plans)).toEqual({ update: { plan_id: 'starter', tags: ['a'], metadata: { k: 'v' } } });
    expect(parseConsumerUpdate([], plans)).toEqual({ problem: 'the body must be a JSON object' });
    expect(parseConsumerUpdate({ consumer_id: 'x' }, plans)).toEqual({ problem: 'unknown fields: consumer_id (allowed: org_id, name, email, plan_id, stripe_customer_id, tags, metadata, status, blocked_apis)' });
    expect(parseConsumerUpdate({ name: 1 }, plans)).toEqual({ problem: 'name must be a string' });
    expect(parseConsumerUpdate({ plan_id: 'gold' }, plans)).toEqual({ problem: 'plan_id "gold" is not in the plans file (known: free, starter)' });
    expect(parseConsumerUpdate({ email: 'nobody' }, plans)).toEqual({ problem: 'email is not an email address' });
    expect(parseConsumerUpdate({ tags: 'a' }, plans)).toEqual({ problem: 'tags must be an array of strings' });
    expect(parseConsumerUpdate({ metadata: { n: 1 } }, plans)).toEqual({ problem: 'metadata must be an object of strings' });
    expect(parseConsumerUpdate({ status: 'suspended', blocked_apis: ['search'] }, plans)).toEqual({ update: { status: 'suspended', blocked_apis: ['search'] } });
    expect(parseConsumerUpdate({ status: 'banned' }, plans)).toEqual({ problem: 'status must be one of active, suspended' });
    expect(parseConsumerUpdate({ blocked_apis: 'search' }, plans)).toEqual({ problem: 'blocked_apis must be an array of strings' });
  });
});
