export * from './config.ts';
export * from './clickhouse.ts';
export * from './kafka.ts';
// export * from './stripe.ts';
