export * from './app.ts';
export * from './bearer-auth.ts';
export * from './errors.ts';
export * from './openapi.ts';
export * from './ops.ts';
export * from './request-log.ts';
export * from './validation.ts';
