export { compileCatalog, loadCatalogFile, type CatalogEvent, type CatalogMatch, type CatalogMatcher, type CatalogRule, type CatalogRuleMatch } from './catalog.ts';
export * from './api-product.ts';
export { catalogFileFromEnv, loadCatalog, type CatalogEnvReader } from './catalog-config.ts';
