import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createKafka, kafkaSettingsFromEnv } from '@tollgate/platform';
import { daysAgo } from '../../../test/harness/clock.ts';
import { uniqueName } from '../../../test/harness/names.ts';
import { tapConfigFromEnv, type TapConfig } from '../src/config.ts';
import { startTap, type TapService } from '../src/service.ts';

// At least 16 characters: the tap refuses shorter tokens.
export const TOKEN = 'test-token-1-0123456789';
/** TOKEN's name: a bare token in TAP_TOKENS is named by its position. */
export const TOKEN_NAME = 'token-1';

export function testTapConfig(over: Partial<TapConfig> = {}, env: Record<string, string> = {}): TapConfig {
  const base = tapConfigFromEnv({ ...process.env, TAP_TOKENS: `${TOKEN},other-token-0123456789`, TAP_PORT: '0', ...env });
  return {
    ...base,
    topic: uniqueName('tap_events'),
    topicPartitions: 3,
    spool: { ...base.spool, dir: mkdtempSync(join(tmpdir(), 'tap-spool-')) },
    hmacKey: 'test-key',
    ...over,
  };
}

export async function startTestTap(
  over: Partial<TapConfig> = {},
  spoolMaxBytes?: number,
): Promise<{ tap: TapService; config: TapConfig }> {
  const config = testTapConfig(over);
  if (spoolMaxBytes !== undefined) config.spool.maxBytes = spoolMaxBytes;
  return { tap: await startTap(config, pino({ level: 'silent' })), config };
}

export function testKafka(brokers?: string[]) {
  return createKafka(brokers ? { brokers, clientId: 'tap-test' } : kafkaSettingsFromEnv(process.env, 'tap-test'));
}

export function ingest(tap: TapService, format: string, body: string, contentType: string, token = TOKEN) {
  return tap.app.inject({
    method: 'POST',
    url: `/v1/ingest/${format}`,
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    payload: body,
  });
}

const EVENTS_START_MS = daysAgo(3);

export function ndjsonEvents(from: number, n: number, prefix = 'ev'): { ids: string[]; body: string } {
  const ids: string[] = [];
  const lines: string[] = [];
  for (let i = from; i < from + n; i += 1) {
    const id = `${prefix}-${i}`;
    ids.push(id);
    lines.push(JSON.stringify({
      schema: 'api-request/v1',
      event_id: id,
      timestamp: new Date(EVENTS_START_MS + i * 1000).toISOString(),
      gateway: { kind: 'generic' },
      method: 'GET',
      path: `/v1/orders/${i}`,
      status: 200,
      consumer: { id: `c-${i % 50}` },
    }));
  }
  return { ids, body: `${lines.join('\n')}\n` };
}

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export { runNode } from '../../../test/harness/process.ts';
