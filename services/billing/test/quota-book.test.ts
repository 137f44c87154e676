// The quota book's copy against a scripted ClickHouse: an admin change made while a refresh reads
// survives the refresh's older copy, and a read that finishes after a newer one is dropped.
import type { ClickHouseClient } from '@clickhouse/client';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parsePlansFile } from '@tollgate/pricing';
import { emptyConsumer, type ConsumerRecord } from '@tollgate/registry';
import { QuotaBook } from '../src/quota-book.ts';

const plans = parsePlansFile('version: 1\nplans:\n  hard:\n    name: Hard\n    currency: EUR\n    quota: { limit: 10, kind: hard }\n    meters: []\n', 'yaml');

/** A client whose consumers query answers when the test says, with the records given then. */
function scriptedClient() {
  const pendingReads: Array<(records: ConsumerRecord[]) => void> = [];
  const client = {
    query: async ({ query }: { query: string }) => {
      if (query.includes('.consumers')) {
        const records = await new Promise<ConsumerRecord[]>((resolve) => pendingReads.push(resolve));
        return { json: async () => records };
      }
      if (query.includes('.api_keys')) return { json: async () => ({ data: [] }) };
      return { json: async () => [] };
    },
  } as unknown as ClickHouseClient;
  return { client, pendingReads };
}

const alice = (over: Partial<ConsumerRecord> = {}): ConsumerRecord => ({ ...emptyConsumer('alice'), plan_id: 'hard', ...over });
const tick = () => new Promise((r) => setImmediate(r));

describe('QuotaBook', () => {
  it('keeps an admin change made while a refresh was reading', async () => {
    const { client, pendingReads } = scriptedClient();
    const book = new QuotaBook(client, 'db', plans, pino({ level: 'silent' }));
    const refreshing = book.refresh();
    await tick();
    book.setConsumer(alice({ status: 'suspended' }));
    book.addKey('hmac-1', 'alice');
    pendingReads.shift()!([alice()]); // read before the change
    await refreshing;
    expect(book.consumer('alice')?.status).toBe('suspended');
    expect(book.keyOwner('hmac-1')).toBe('alice');
  });

  it('drops a read that finishes after a newer one was installed', async () => {
    const { client, pendingReads } = scriptedClient();
    const book = new QuotaBook(client, 'db', plans, pino({ level: 'silent' }));
    const older = book.refresh();
    const newer = book.refresh();
    await tick();
    const [first, second] = pendingReads;
    second!([alice({ status: 'suspended' })]);
    await newer;
    first!([alice()]);
    await older;
    expect(book.consumer('alice')?.status).toBe('suspended');
  });

  it('counts allowed calls of a hard quota until the usage holds them', async () => {
    const { client, pendingReads } = scriptedClient();
    const book = new QuotaBook(client, 'db', plans, pino({ level: 'silent' }));
    const refreshing = book.refresh();
    await tick();
    pendingReads.shift()!([alice()]);
    await refreshing;
    for (let i = 0; i < 4; i++) book.recordAllowed('alice', Date.now());
    expect(book.check('alice')).toMatchObject({ used: 4, state: { remaining: 6, blocked: false } });
  });
});
