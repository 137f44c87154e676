// The enricher's OpenAPI document without running the enricher: the app is built with
// dependencies that describing it never calls (docs/openapi/enricher.json is written from this).
import { Registry } from 'prom-client';
import { openApiDocument, unusedDependency } from '@tollgate/platform';
import type { RegistryCache } from '@tollgate/registry';
import { buildEnricherApp } from './app.ts';

export async function describeEnricherApi(): Promise<Record<string, unknown>> {
  return openApiDocument(
    buildEnricherApp({ metrics: new Registry(), readiness: unusedDependency('readiness'), registry: unusedDependency<RegistryCache>('registry'), adminTokens: [] }),
  );
}
