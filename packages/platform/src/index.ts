export * from './config.ts';
export * from './clickhouse.ts';
export * from './kafka.ts';
export * from './stripe.ts';
export * from './ops.ts';
export * from './auth.ts';
export * from './service-main.ts';
export * from './seeded-random.ts';
