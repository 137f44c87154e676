// Where a service finds the API catalog: API_CATALOG_FILE, or no rules at all. The enricher names
// each event's API product with it and billing's /v1/authorize names each request's, so both read
// the same variable through this one reader and load the file the same way — a call is then refused
// or allowed under the product it is billed and reported under.
import { compileCatalog, loadCatalogFile, type CatalogMatcher } from './catalog.ts';

/** The part of @tollgate/platform's EnvReader this needs (the catalog does not depend on platform). */
export interface CatalogEnvReader {
  string(name: string): string | undefined;
}

/** API_CATALOG_FILE: the catalog file's path, or undefined for none. */
export function catalogFileFromEnv(r: CatalogEnvReader): string | undefined {
  return r.string('API_CATALOG_FILE');
}

/** The catalog in `file`, or one without rules (no request names a product) when there is none. */
export async function loadCatalog(file: string | undefined): Promise<CatalogMatcher> {
  return file ? loadCatalogFile(file) : compileCatalog([]);
}
