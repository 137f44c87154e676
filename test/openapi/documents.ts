// The OpenAPI documents of every service, as written to docs/openapi/<service>.json: one piece of
// code for the script that writes them (write-documents.ts) and the test that checks the committed
// files are current (openapi.test.ts). Each service builds its document from its own routes.
import { describeBillingApi } from '@tollgate/billing';
import { describeDashboardsApi } from '@tollgate/dashboards';
import { describeEnricherApi } from '@tollgate/enricher';
import { describeTapApi } from '@tollgate/tap';

export const OPENAPI_DIR = new URL('../../docs/openapi/', import.meta.url);

export const DESCRIBED_SERVICES = {
  tap: describeTapApi,
  enricher: describeEnricherApi,
  billing: describeBillingApi,
  dashboards: describeDashboardsApi,
} as const;

export type DescribedService = keyof typeof DESCRIBED_SERVICES;

/** The file's text: stable, indented, with a final newline, so a change reads as a small diff. */
export function documentText(document: object): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

export async function documentTexts(): Promise<Record<DescribedService, string>> {
  const texts = {} as Record<DescribedService, string>;
  for (const [name, describe] of Object.entries(DESCRIBED_SERVICES)) texts[name as DescribedService] = documentText(await describe());
  return texts;
}
