export * from './config.ts';
export * from './service.ts';
export * from './ingest/app.ts';
export * from './ingest/map-context.ts';
export { formats } from './ingest/formats/index.ts';
export type * from './ingest/formats/types.ts';
export { describeTapApi } from './openapi.ts';
