// The tap's HTTP app (buildTapApp) over a sink that only records what it was handed: for tests of
// what the ingest routes accept, refuse and hand on, without Kafka.
import { Registry } from 'prom-client';
import { specCheckedInject } from '@tollgate/platform/testing';
import type { EventSink, TextMessage } from '@tollgate/tap-delivery';
import { buildTapApp, type TapAppOptions } from '../src/ingest/app.ts';
import { mapContext } from '../src/ingest/map-context.ts';
import { createTapMetrics } from '../src/metrics.ts';

export const HARNESS_TOKEN = 'harness-token-0123456789';
export const HARNESS_TOKEN_NAME = 'harness';

export function recordingTapApp(over: Partial<TapAppOptions> = {}) {
  const handed: TextMessage[][] = [];
  const sink = {
    canAccept: true,
    isSpooling: false,
    spoolBytes: 0,
    accept: async (messages: TextMessage[]) => {
      handed.push(messages);
    },
  } as unknown as EventSink;
  const registry = new Registry();
  const app = buildTapApp({
    tokens: [{ name: HARNESS_TOKEN_NAME, token: HARNESS_TOKEN }],
    bodyLimitBytes: 10 * 1024 * 1024,
    maxInflightBytes: 128 * 1024 * 1024,
    maxRecords: 10_000,
    retryAfterSeconds: 5,
    sink,
    mapContext: mapContext({ hmacKey: 'test-key', secretQueryParams: ['api_key'] }),
    metrics: createTapMetrics(registry),
    registry,
    kafkaConnected: () => true,
    ...over,
  });
  // Every answer is held to the tap's OpenAPI document (/openapi.json).
  const inject = specCheckedInject(app);
  const post = (format: string, body: string, contentType: string, token = HARNESS_TOKEN) =>
    inject({ method: 'POST', url: `/v1/ingest/${format}`, headers: { authorization: `Bearer ${token}`, 'content-type': contentType }, payload: body });
  /** The events handed to the sink, parsed. */
  const events = () => handed.flat().map((m) => JSON.parse(m.value) as Record<string, unknown>);
  return { app, handed, events, post, registry };
}
