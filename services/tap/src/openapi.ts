// The tap's OpenAPI document without running the tap: the app is built with dependencies that
// describing it never calls (docs/openapi/tap.json is written from this; the tap serves the same
// document at /openapi.json).
import { Registry } from 'prom-client';
import { openApiDocument, unusedDependency } from '@tollgate/platform';
import type { EventSink } from '@tollgate/tap-delivery';
import { buildTapApp } from './ingest/app.ts';
import type { MapContext } from './ingest/formats/types.ts';
import { createTapMetrics } from './metrics.ts';

export async function describeTapApi(): Promise<Record<string, unknown>> {
  const registry = new Registry();
  return openApiDocument(
    buildTapApp({
      tokens: [],
      bodyLimitBytes: 1,
      maxInflightBytes: 1,
      maxRecords: 1,
      retryAfterSeconds: 1,
      sink: unusedDependency<EventSink>('sink'),
      mapContext: unusedDependency<Omit<MapContext, 'receivedAt'>>('mapContext'),
      metrics: createTapMetrics(registry),
      registry,
      kafkaConnected: () => false,
    }),
  );
}
