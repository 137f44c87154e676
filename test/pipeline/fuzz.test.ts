// Random Unicode through every ingest format, the real tap, the real broker and the enricher into
// ClickHouse: lone surrogates at every cut point, NUL and control characters, 4-byte characters,
// invalid UTF-8 bytes in text lines. Every event the tap accepted is either stored (its text
// repaired, well-formed) or dead-lettered with a reason, and the partitions keep moving.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enricherConfigFromEnv, startEnricher, type EnricherService } from '@tollgate/enricher';
import { createKafka, kafkaSettingsFromEnv, queryRows, seededRandom } from '@tollgate/platform';
import { API_REQUEST_LIMITS as MAX, migrate } from '@tollgate/schemas';
import { startTap, tapConfigFromEnv, type TapService } from '@tollgate/tap';
import { testClickHouse, type TestClickHouse } from '../harness/clickhouse.ts';
import { daysAgo } from '../harness/clock.ts';
import { readWholeTopic } from '../harness/kafka.ts';
import { uniqueName } from '../harness/names.ts';

const EVENTS = 10_000;
const PER_BODY = 100;
const TOKEN = 'fuzz-token-0123456789';
const random = seededRandom(20261203);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** Characters chosen to break naive text handling. */
const POOLS: ReadonlyArray<() => string> = [
  () => String.fromCharCode(32 + Math.floor(random() * 95)), // ASCII
  () => String.fromCharCode(Math.floor(random() * 32)), // NUL and control characters
  () => pick(['"', '\\', "'", '\t', '\n', '\r', '\u2028', '\uFEFF', '\\N']),
  () => String.fromCharCode(0xa0 + Math.floor(random() * 0xd700)), // the BMP below the surrogates
  () => String.fromCodePoint(0x1f300 + Math.floor(random() * 0x300)), // 4-byte characters (surrogate pairs)
  () => String.fromCharCode(0xd800 + Math.floor(random() * 0x400)), // a lone high surrogate
  () => String.fromCharCode(0xdc00 + Math.floor(random() * 0x400)), // a lone low surrogate
];

function randomText(max: number): string {
  let text = '';
  const length = Math.floor(random() * max);
  while (text.length < length) text += pick(POOLS)();
  return text;
}

/** Long enough to be cut at its schema limit, with a 4-byte character straddling the cut. */
function cutText(limit: number): string {
  return 'x'.repeat(limit - 1 - Math.floor(random() * 3)) + '😀'.repeat(3);
}

function agent(): string {
  return random() < 0.2 ? cutText(MAX.userAgent) : randomText(60);
}

/** Path text after the event's marker: no spaces or '?', which would end or split a path. */
function pathTail(): string {
  return random() < 0.1 ? cutText(MAX.path - 20) : randomText(40).replace(/[\s?#]/g, '_');
}

interface Record {
  n: number;
  body: string | Buffer;
}

const startMs = daysAgo(1);
const at = (n: number) => startMs + n * 1_000;

const FORMATS: ReadonlyArray<{ name: string; contentType: string; record: (n: number) => string | Buffer; join: (records: Array<string | Buffer>) => string | Buffer }> = [
  {
    name: 'kong',
    contentType: 'application/json',
    record: (n) => JSON.stringify({ request: { method: 'GET', uri: `/f/${n}/${pathTail()}`, headers: { 'user-agent': agent(), host: 'h.example' } }, response: { status: 200 }, started_at: at(n), consumer: { username: randomText(20) } }),
    join: (records) => `[${records.join(',')}]`,
  },
  {
    name: 'apisix',
    contentType: 'application/json',
    record: (n) => JSON.stringify({ request: { method: 'POST', uri: `/f/${n}/${pathTail()}`, headers: { 'user-agent': agent() } }, response: { status: 201 }, start_time: at(n) }),
    join: (records) => `[${records.join(',')}]`,
  },
  {
    name: 'envoy',
    contentType: 'application/x-ndjson',
    record: (n) => JSON.stringify({ method: 'GET', path: `/f/${n}/${pathTail()}`, response_code: 500, user_agent: agent(), start_time: new Date(at(n)).toISOString(), 'x-request-id': `fuzz-envoy-${n}` }),
    join: (records) => records.join('\n'),
  },
  {
    name: 'nginx',
    contentType: 'application/x-ndjson',
    record: (n) => JSON.stringify({ method: 'GET', uri: `/f/${n}/${pathTail()}`, status: '404', user_agent: agent(), msec: String(at(n) / 1000), request_id: `fuzz-nginx-${n}` }),
    join: (records) => records.join('\n'),
  },
  {
    name: 'ndjson',
    contentType: 'application/x-ndjson',
    record: (n) =>
      JSON.stringify({ schema: 'api-request/v1', event_id: `fuzz-ndjson-${n}`, timestamp: new Date(at(n)).toISOString(), gateway: { kind: 'generic', instance: randomText(10) }, method: 'GET', path: `/f/${n}/${pathTail()}`, status: 200, user_agent: agent(), consumer: { id: randomText(12) } }),
    join: (records) => records.join('\n'),
  },
  {
    name: 'cloudevents',
    contentType: 'application/cloudevents-batch+json',
    record: (n) => JSON.stringify({ specversion: '1.0', id: `fuzz-ce-${n}`, source: randomText(10) || 'fuzz', type: 'api-request', time: new Date(at(n)).toISOString(), data: { method: 'GET', path: `/f/${n}/${pathTail()}`, status: 204, user_agent: agent() } }),
    join: (records) => `[${records.join(',')}]`,
  },
  {
    name: 'combined',
    contentType: 'text/plain',
    // As nginx writes it: '"' and '\' escaped as \xHH; and raw bytes that are not UTF-8 at all.
    record: (n) => {
      const ua = agent().replace(/[\\"\n\r]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
      const when = new Date(at(n)).toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1/$2/$3:$4 +0000');
      const line = Buffer.from(`203.0.113.${n % 250} - - [${when}] "GET /f/${n}/${pathTail()} HTTP/1.1" 200 ${n} "-" "${ua}`);
      const invalid = Buffer.from([pick([0xff, 0xc3, 0xe2, 0x80, 0xfe]), pick([0x28, 0xc3, 0xa9, 0xff])]);
      return Buffer.concat([line, invalid, Buffer.from('"')]);
    },
    join: (records) => Buffer.concat(records.flatMap((r, i) => (i === 0 ? [r as Buffer] : [Buffer.from('\n'), r as Buffer]))),
  },
];

let ch: TestClickHouse;
let tap: TapService;
let enricher: EnricherService;
const topic = uniqueName('fuzz_events');
const dlqTopic = uniqueName('fuzz_dlq');
const kafka = createKafka(kafkaSettingsFromEnv(process.env, 'fuzz-test'));

beforeAll(async () => {
  ch = await testClickHouse('fuzz');
  const tapConfig = tapConfigFromEnv({ ...process.env, TAP_TOKENS: `fuzz:${TOKEN}`, TAP_PORT: '0', TAP_TOPIC: topic, TAP_TOPIC_PARTITIONS: '3', TAP_HMAC_KEY: 'fuzz-hmac', TAP_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'fuzz-spool-')) });
  tap = await startTap(tapConfig, pino({ level: 'silent' }));
  const enricherConfig = enricherConfigFromEnv({
    ...process.env,
    CLICKHOUSE_DATA_DIR: ch.dataDir,
    CLICKHOUSE_DATABASE: ch.database,
    ENRICHER_PORT: '0',
    ENRICHER_TOPIC: topic,
    ENRICHER_DLQ_TOPIC: dlqTopic,
    ENRICHER_GROUP_ID: uniqueName('fuzz_group'),
    ENRICHER_BATCH_MAX_WAIT_MS: '100',
    ENRICHER_ADMIN_TOKENS: 'fuzz-admin-token-0123',
  });
  await migrate(ch.client, enricherConfig.migrations);
  enricher = await startEnricher(enricherConfig, ch.client, pino({ level: 'silent' }));
});
afterAll(async () => {
  await enricher?.close();
  await tap?.close();
  await ch?.client.close();
});

describe('random Unicode through every ingest format', () => {
  it(`${EVENTS} events: each accepted one is stored with well-formed text or dead-lettered with a reason`, async () => {
    const accepted = new Set<number>();
    const refusedAtTap: string[] = [];
    for (let n = 0; n < EVENTS; ) {
      const format = FORMATS[Math.floor(n / PER_BODY) % FORMATS.length]!;
      const records: Record[] = [];
      for (let i = 0; i < PER_BODY && n < EVENTS; i += 1, n += 1) records.push({ n, body: format.record(n) });
      const answer = await tap.app.inject({
        method: 'POST',
        url: `/v1/ingest/${format.name}`,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': format.contentType },
        payload: format.join(records.map((r) => r.body)),
      });
      expect([202, 400], answer.body).toContain(answer.statusCode);
      const body = answer.json<{ accepted: number; rejected: number; errors: Array<{ index: number; reason: string }> }>();
      const rejected = new Set(body.errors.map((e) => e.index));
      expect(body.errors.length).toBe(body.rejected); // every refusal names its record and reason
      for (const e of body.errors) refusedAtTap.push(`${format.name}: ${e.reason}`);
      records.forEach((r, i) => !rejected.has(i) && accepted.add(r.n));
      expect(body.accepted).toBe(records.length - rejected.size);
    }
    // Most of what is thrown at it is a valid request with odd text: the tap must take it.
    expect(accepted.size, refusedAtTap.slice(0, 5).join('\n')).toBeGreaterThan(EVENTS * 0.9);

    const markerOf = (path: string) => Number(/^\/f\/(\d+)\//.exec(path)?.[1] ?? -1);
    let stored = new Set<number>();
    let dead: Array<{ n: number; reason: string }> = [];
    const deadline = Date.now() + 240_000;
    while (Date.now() < deadline) {
      const rows = await queryRows<{ path: string }>(ch.client, `SELECT path FROM ${ch.database}.api_requests`);
      stored = new Set(rows.map((r) => markerOf(r.path)));
      dead = (await readWholeTopic(kafka, dlqTopic).catch(() => [])).map((m) => ({ n: markerOf((JSON.parse(m.value ?? '{}') as { path?: string }).path ?? ''), reason: m.headers?.['x-tollgate-error']?.toString() ?? '' }));
      if (stored.size + dead.length >= accepted.size) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const lost = [...accepted].filter((n) => !stored.has(n) && !dead.some((d) => d.n === n));
    expect(lost, 'accepted events neither stored nor dead-lettered').toEqual([]);
    for (const d of dead) expect(d.reason, `dead letter ${d.n}`).not.toBe('');
    const [counts] = await queryRows<{ rows: string; ids: string; malformed: string }>(
      ch.client,
      `SELECT count() AS rows, uniqExact(event_id) AS ids,
              countIf(NOT isValidUTF8(path) OR NOT isValidUTF8(user_agent) OR NOT isValidUTF8(consumer_id) OR NOT isValidUTF8(gateway_instance)) AS malformed
       FROM ${ch.database}.api_requests`,
    );
    expect(Number(counts?.rows)).toBe(stored.size); // stored once each
    expect(Number(counts?.ids)).toBe(stored.size);
    expect(Number(counts?.malformed)).toBe(0);
  });
});
