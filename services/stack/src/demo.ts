// Feeds the demo traffic set through the real interfaces: consumers through billing's admin API,
// gateway logs through the tap's ingest routes; then waits until the enricher has stored them.
import type { ClickHouseClient } from '@clickhouse/client';
import { queryRows } from '@tollgate/platform';
import type { PlanCatalog } from '@tollgate/pricing';
import { DEMO_BACKGROUND, DEMO_CONSUMERS, demoTraffic } from './demo-traffic.ts';

export interface DemoOptions {
  tapUrl: string;
  tapToken: string;
  billingUrl: string;
  adminToken: string;
  client: ClickHouseClient;
  database: string;
  /** The instant the traffic ends at (the demo's "now"). */
  now: Date;
  /** The plans billing runs with: the month's story is sized by them (demo-traffic.ts). */
  plans: PlanCatalog;
  events?: number;
  days?: number;
  /** Called once the consumers are registered, before any traffic (e.g. to reload the enricher's registry). */
  afterRegistration?: () => Promise<unknown>;
}

export interface DemoReport {
  accepted: number;
  batches: number;
  formats: string[];
  consumers: number;
}

async function expectOk(answer: Response, what: string): Promise<Response> {
  if (!answer.ok) throw new Error(`${what}: ${answer.status} ${await answer.text()}`);
  return answer;
}

export async function feedDemo(o: DemoOptions): Promise<DemoReport> {
  for (const c of DEMO_CONSUMERS) {
    await expectOk(
      await fetch(new URL(`/v1/admin/consumers/${encodeURIComponent(c.id)}`, o.billingUrl), {
        method: 'PUT',
        headers: { authorization: `Bearer ${o.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ org_id: c.org, name: c.name, email: c.email, plan_id: c.plan }),
      }),
      `registering consumer ${c.id}`,
    );
  }
  // The enricher reads the registry on an interval; have it reload now so every event gets its plan.
  await o.afterRegistration?.();
  const batches = demoTraffic({ now: o.now, days: o.days ?? DEMO_BACKGROUND.days, events: o.events ?? DEMO_BACKGROUND.events, plans: o.plans });
  let accepted = 0;
  const queue = [...batches];
  const send = async (): Promise<void> => {
    for (let batch = queue.shift(); batch; batch = queue.shift()) {
      const answer = await expectOk(
        await fetch(new URL(`/v1/ingest/${batch.format}`, o.tapUrl), {
          method: 'POST',
          headers: { authorization: `Bearer ${o.tapToken}`, 'content-type': batch.contentType },
          body: batch.body,
        }),
        `posting ${batch.format} logs`,
      );
      accepted += ((await answer.json()) as { accepted: number }).accepted;
    }
  };
  await Promise.all([send(), send(), send(), send()]);

  const deadline = Date.now() + 120_000;
  for (;;) {
    const [{ n } = { n: 0 }] = await queryRows<{ n: number }>(o.client, `SELECT count() AS n FROM ${o.database}.api_requests`);
    if (Number(n) >= accepted) break;
    if (Date.now() > deadline) throw new Error(`the enricher stored ${n} of ${accepted} demo events in 120 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return { accepted, batches: batches.length, formats: [...new Set(batches.map((b) => b.format))], consumers: DEMO_CONSUMERS.length };
}
