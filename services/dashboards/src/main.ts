// `tsx services/dashboards/src/main.ts`: the query API and dashboard page as a standalone service.
import { createClickHouseClient, runService } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { dashboardConfigFromEnv } from './config.ts';
import { startDashboard } from './service.ts';

await runService('dashboards', async (log) => {
  const config = dashboardConfigFromEnv(process.env);
  const client = await createClickHouseClient(config.clickhouse);
  await migrate(client, config.migrations);
  const dashboard = await startDashboard(config, client, log);
  return { close: () => dashboard.close().then(() => client.close()) };
});
