// `npm run openapi`: writes docs/openapi/<service>.json from the services' route schemas. Run it
// after changing a route; openapi.test.ts fails until the committed files match.
import { mkdir, writeFile } from 'node:fs/promises';
import { documentTexts, OPENAPI_DIR } from './documents.ts';

await mkdir(OPENAPI_DIR, { recursive: true });
for (const [name, text] of Object.entries(await documentTexts())) {
  const file = new URL(`${name}.json`, OPENAPI_DIR);
  await writeFile(file, text);
  console.log(`wrote ${file.pathname}`);
}
