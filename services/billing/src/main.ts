// `tsx services/billing/src/main.ts`: billing as a standalone service.
import { createClickHouseClient, runService } from '@tollgate/platform';
import { migrate } from '@tollgate/schemas';
import { billingConfigFromEnv } from './config.ts';
import { startBilling } from './service.ts';

await runService('billing', async (log) => {
  const config = billingConfigFromEnv(process.env);
  const client = await createClickHouseClient(config.clickhouse);
  await migrate(client, config.migrations);
  const billing = await startBilling(config, client, log);
  return { close: () => billing.close().then(() => client.close()) };
});
