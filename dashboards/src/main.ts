// `tsx dashboards/src/main.ts`: the query API and dashboard page as a standalone service.
import { pino } from 'pino';
import { ConfigError, createClickHouseClient } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { dashboardConfigFromEnv } from './config.ts';
import { startDashboard } from './service.ts';

const log = pino({ name: 'dashboards' });
try {
  const config = dashboardConfigFromEnv(process.env);
  const client = await createClickHouseClient(config.clickhouse);
  await migrate(client, config.migrations);
  const dashboard = await startDashboard(config, client, log);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: finishing requests in flight and stopping`);
    dashboard
      .close()
      .then(() => client.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  if (error instanceof ConfigError) console.error(error.message);
  else log.error({ err: error }, 'dashboards failed to start');
  process.exit(1);
}
