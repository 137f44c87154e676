// `tsx services/enricher/src/main.ts`: the enricher as a standalone service.
import { pino } from 'pino';
import { ConfigError, createClickHouseClient } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { enricherConfigFromEnv } from './config.ts';
import { startEnricher } from './service.ts';

const log = pino({ name: 'enricher' });
try {
  const config = enricherConfigFromEnv(process.env);
  const client = await createClickHouseClient(config.clickhouse);
  await migrate(client, config.migrations);
  const enricher = await startEnricher(config, client, log);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: finishing the batch in flight and stopping`);
    enricher
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
  else log.error({ err: error }, 'enricher failed to start');
  process.exit(1);
}
