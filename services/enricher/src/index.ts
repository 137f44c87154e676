export * from './config.ts';
export * from './service.ts';
export * from './rows.ts';
export * from './batch.ts';
export * from './writer.ts';
export * from './kafka-loop.ts';
export * from './stored-events.ts';
export * from './duplicates.ts';
