export * from './consumer-table.ts';
export * from './consumer-update.ts';
export { CONSUMER_COLUMNS, parseConsumerImport, type ConsumerImportError, type ConsumerImportFormat, type ConsumerImportResult } from './consumer-import.ts';
export { RegistryCache } from './registry-cache.ts';
export * from './api-keys.ts';
