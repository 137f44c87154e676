// The committed OpenAPI documents (docs/openapi/*.json) are the ones the services' routes describe
// today, and each is a valid OpenAPI 3.1 document.
import { readFile } from 'node:fs/promises';
import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { documentTexts, OPENAPI_DIR, type DescribedService } from './documents.ts';

const generated = await documentTexts();

describe('OpenAPI documents', () => {
  for (const name of Object.keys(generated) as DescribedService[]) {
    it(`docs/openapi/${name}.json is current`, async () => {
      const committed = await readFile(new URL(`${name}.json`, OPENAPI_DIR), 'utf8').catch(() => '');
      expect(committed === generated[name], `docs/openapi/${name}.json differs from what the routes describe: run \`npm run openapi\` and commit the result`).toBe(true);
    });

    it(`${name}'s document is valid OpenAPI 3.1`, async () => {
      const document = JSON.parse(generated[name]) as { openapi: string; paths: object };
      expect(document.openapi).toBe('3.1.0');
      await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeTruthy();
      expect(Object.keys(document.paths).length).toBeGreaterThan(0);
    });
  }
});
