// Gateway decisions and key-only traffic through the real broker into the embedded ClickHouse:
// a refused call is stored with its decision and never billable (so neither invoices, quotas nor
// the billing rollups count it); a call carrying only an API key is attributed to the key's owner
// once the registry cache holds the key; a key nobody owns stays anonymous.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialHmac, queryRows } from '@tollgate/platform';
import { emptyConsumer, writeApiKeys, writeConsumers } from '@tollgate/registry';
import { testClickHouse, type TestClickHouse } from '../../../../test/harness/clickhouse.ts';
import type { EnricherConfig } from '../../src/config.ts';
import type { EnricherService } from '../../src/service.ts';
import { event, produce, startTestEnricher, testEnricherConfig, waitForRows } from '../helpers.ts';

const HMAC_KEY = 'decision-test-hmac-key-0123';
const hmac = credentialHmac(HMAC_KEY);

let ch: TestClickHouse;
let config: EnricherConfig;
let enricher: EnricherService;

beforeAll(async () => {
  ch = await testClickHouse('decision');
  config = testEnricherConfig(ch);
  enricher = await startTestEnricher(ch, config);
});
afterAll(async () => {
  await enricher.close();
  await ch.client.close();
});

describe('enricher: gateway decisions and API keys', () => {
  it('stores refused calls with their decision, never billable, counted in the refused rollups and not in the billing rollups', async () => {
    await produce(config.topic, [
      event(1, { event_id: 'd-none', consumer: { id: 'carol' } }),
      event(2, { event_id: 'd-allow', decision: 'allow', consumer: { id: 'carol' } }),
      event(3, { event_id: 'd-quota', decision: 'quota', status: 429, consumer: { id: 'carol' } }),
      event(4, { event_id: 'd-rate', decision: 'rate', status: 429, consumer: { id: 'carol' } }),
      event(5, { event_id: 'd-unknown', decision: 'unknown_consumer', status: 401 }),
    ]);
    expect(await waitForRows(ch.client, ch.database, 5)).toBe(5);
    const rows = await queryRows<{ event_id: string; decision: string; billable: boolean }>(
      ch.client,
      `SELECT event_id, decision, billable FROM ${ch.database}.api_requests WHERE event_id LIKE 'd-%' ORDER BY event_id`,
    );
    expect(rows).toEqual([
      { event_id: 'd-allow', decision: 'allow', billable: true },
      { event_id: 'd-none', decision: '', billable: true },
      { event_id: 'd-quota', decision: 'quota', billable: false },
      { event_id: 'd-rate', decision: 'rate', billable: false },
      { event_id: 'd-unknown', decision: 'unknown_consumer', billable: false },
    ]);
    const [totals] = await queryRows<{ usage: string; billable: string; billing: string; refused: string }>(
      ch.client,
      `SELECT (SELECT sum(calls) FROM ${ch.database}.usage_hour) AS usage, (SELECT sum(billable_calls) FROM ${ch.database}.usage_hour) AS billable,
              (SELECT sum(calls) FROM ${ch.database}.billing_hour) AS billing, (SELECT sum(calls) FROM ${ch.database}.refused_hour) AS refused`,
    );
    expect(totals && Object.values(totals).map(Number)).toEqual([5, 2, 2, 3]);
  });

  it('attributes a call that carries only an API key to the key\'s owner, with organisation and plan; an unknown key stays anonymous', async () => {
    await writeConsumers(ch.client, ch.database, [{ ...emptyConsumer('dave'), org_id: 'globex', plan_id: 'business' }]);
    await writeApiKeys(ch.client, ch.database, HMAC_KEY, [{ consumer_id: 'dave', key: 'dave-key-00000000001' }]);
    const refresh = await enricher.app.inject({ method: 'POST', url: '/v1/registry/refresh', headers: { authorization: 'Bearer admin-token-0123456789' } });
    expect(refresh.statusCode).toBe(200);
    expect(enricher.registry.keys).toBe(1);
    await produce(config.topic, [
      event(10, { event_id: 'k-owned', consumer: { auth_method: 'key-auth', credential_hmac: hmac('dave-key-00000000001') } }),
      event(11, { event_id: 'k-stranger', consumer: { auth_method: 'key-auth', credential_hmac: hmac('nobody-key-000000001') } }),
    ]);
    expect(await waitForRows(ch.client, ch.database, 7)).toBe(7);
    const rows = await queryRows<{ event_id: string; consumer_id: string; consumer_known: boolean; org_id: string; plan_id: string; credential_hmac: string }>(
      ch.client,
      `SELECT event_id, consumer_id, consumer_known, org_id, plan_id, credential_hmac FROM ${ch.database}.api_requests WHERE event_id LIKE 'k-%' ORDER BY event_id`,
    );
    expect(rows).toEqual([
      { event_id: 'k-owned', consumer_id: 'dave', consumer_known: true, org_id: 'globex', plan_id: 'business', credential_hmac: hmac('dave-key-00000000001') },
      { event_id: 'k-stranger', consumer_id: '', consumer_known: false, org_id: '', plan_id: '', credential_hmac: hmac('nobody-key-000000001') },
    ]);
  });
});
