export * from './api-request.ts';
export * from './limits.ts';
export * from './validate.ts';
export * from './migrations.ts';
export * from './target.ts';
export * from './version.ts';
export * from './text.ts';
export * from './cluster-rules.ts';
