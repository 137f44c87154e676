// Usage alerts and the webhook outbox:
//  1. alert evaluation on a quota refresh for 10 000 consumers whose alerts have all been crossed
//     (the steady state: every crossing answered from the outbox's dedup cache);
//  2. on the embedded ClickHouse: emitting N events, the dispatch pass's pending query with N
//     deliveries pending, delivering them to a local receiver (answers 204), and the pending query
//     once all are delivered (what every BILLING_WEBHOOK_POLL_MS costs when idle).
//   npx tsx bench/webhooks.ts [events]
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { pino } from 'pino';
import { billingConfigFromEnv, OutboxStore, UsageAlerts, WebhookEndpoints, WebhookOutbox } from '@tollgate/billing';
import { createClickHouseClient } from '@tollgate/platform';
import { parsePlansFile } from '@tollgate/pricing';
import { migrate } from '@tollgate/schemas';
import { table } from './lib.ts';

const events = Number(process.argv[2] ?? 2_000);
const consumers = 10_000;
const log = pino({ level: 'warn' });
const rows: Array<Record<string, string | number>> = [];
const timed = async <T>(what: string, work: () => Promise<T>, per?: number): Promise<T> => {
  const t0 = performance.now();
  const result = await work();
  const ms = performance.now() - t0;
  rows.push({ measure: what, ms: ms.toFixed(1), 'per second': per ? Math.round((per * 1000) / ms) : '' });
  return result;
};

// 1. Evaluation: three quota alerts and exhaustion, every consumer past all of them.
const plans = parsePlansFile(
  `version: 1
plans:
  p:
    name: P
    currency: EUR
    quota: { limit: 1000, kind: soft }
    meters: []
    alerts: [{ at: "50%", of: quota }, { at: "80%", of: quota }, { at: "100%", of: quota }]
`,
  'yaml',
);
const ids = Array.from({ length: consumers }, (_, i) => `c${i}`);
const book = { consumerIds: () => ids, check: (id: string) => ({ consumer: id, plan: 'p', period_end: '', known: true, used: 2_000, state: null }) };
const seen = new Set<string>();
const remember = (type: string, key: string) => ({ id: key, emitted: !seen.has(`${type}${key}`) && Boolean(seen.add(`${type}${key}`)) });
const memoryEmitter = {
  emit: (type: string, _data: unknown, key: string) => Promise.resolve(remember(type, key)),
  emitAll: (requests: ReadonlyArray<{ type: string; dedupKey: string }>) => Promise.resolve(requests.map((r) => remember(r.type, r.dedupKey))),
};
const alerts = new UsageAlerts({ client: undefined as unknown as ClickHouseClient, database: '', plans, emitter: memoryEmitter, log, meterUsageRefreshMs: 0 });
const now = new Date();
await timed(`evaluate ${consumers} consumers, first time (${consumers * 4} crossings emitted)`, () => alerts.evaluate(book, now));
for (let i = 0; i < 3; i += 1) await timed(`evaluate ${consumers} consumers again (nothing new)`, () => alerts.evaluate(book, now));

// 2. The outbox on chDB.
const database = `bench_webhooks_${Date.now()}`;
const config = billingConfigFromEnv({ ...process.env, CLICKHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'bench-webhooks-')), CLICKHOUSE_DATABASE: database }, { requireAdminTokens: false });
const client = await createClickHouseClient(config.clickhouse);
await migrate(client, config.migrations);
const receiver = http.createServer((request, response) => {
  request.resume().on('end', () => response.writeHead(204).end());
});
receiver.listen(0, '127.0.0.1');
await once(receiver, 'listening');
const store = new OutboxStore(client, database);
await new WebhookEndpoints(store).create({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` });
const outbox = new WebhookOutbox({ store, log, concurrency: 8 });
const request = (i: number) => ({ type: 'quota.exhausted' as const, data: { consumer_id: `c${i}`, plan_id: 'p', period: '2030-01', limit: 1, used: 1, hard: false }, dedupKey: `c${i}:2030-01` });
await timed(`emit 200 events one by one (emit)`, async () => {
  for (let i = 0; i < 200; i += 1) await outbox.emit(request(i).type, request(i).data, request(i).dedupKey);
}, 200);
await timed(`emit ${events - 200} events in one batch (emitAll)`, () => outbox.emitAll(Array.from({ length: events - 200 }, (_, i) => request(i + 200))), events - 200);
await timed(`emit the same ${events} again (all known: nothing written)`, () => outbox.emitAll(Array.from({ length: events }, (_, i) => request(i))), events);
await timed(`pending query, ${events} pending`, () => store.pending());
await timed(`dispatch passes delivering ${events} (500 per pass, 8 at a time)`, async () => {
  while ((await store.pending()).length > 0) await outbox.dispatchOnce();
}, events);
await timed(`pending query, all ${events} delivered (idle poll)`, () => store.pending());
await timed(`pending query, all ${events} delivered (idle poll, again)`, () => store.pending());
receiver.close();
await client.close();
console.log(table(rows));
