export { dashboardConfigFromEnv, type DashboardConfig } from './config.ts';
export { startDashboard, type DashboardService } from './service.ts';
export { createAuthenticator, type Caller } from '@tollgate/platform';
export * from './queries/index.ts';
export { describeDashboardsApi } from './openapi.ts';
