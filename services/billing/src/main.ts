// `tsx services/billing/src/main.ts`: billing as a standalone service.
import { pino } from 'pino';
import { ConfigError, createClickHouseClient } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { billingConfigFromEnv } from './config.ts';
import { startBilling } from './service.ts';

const log = pino({ name: 'billing' });
try {
  const config = billingConfigFromEnv(process.env);
  const client = await createClickHouseClient(config.clickhouse);
  await migrate(client, config.migrations);
  const billing = await startBilling(config, client, log);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: finishing the run in progress and stopping`);
    billing
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
  else log.error({ err: error }, 'billing failed to start');
  process.exit(1);
}
