// `tsx services/enricher/src/main.ts`: the enricher as a standalone service.
import { createClickHouseClient, runService } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { enricherConfigFromEnv } from './config.ts';
import { startEnricher } from './service.ts';

await runService('enricher', async (log) => {
  const config = enricherConfigFromEnv(process.env);
  const client = await createClickHouseClient(config.clickhouse);
  await migrate(client, config.migrations);
  const enricher = await startEnricher(config, client, log);
  return { close: () => enricher.close().then(() => client.close()) };
});
