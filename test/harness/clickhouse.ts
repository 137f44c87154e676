// A ClickHouse client for one test file: the configured server when CLICKHOUSE_URL is set,
// otherwise an embedded engine in a folder of this test process's own.
import type { ClickHouseClient } from '@clickhouse/client';
import { clickHouseSettingsFromEnv, createClickHouseClient } from '@tollgate/platform';
import { REPO_ROOT } from './infra.ts';
import { uniqueName } from './names.ts';

export interface TestClickHouse {
  client: ClickHouseClient;
  database: string;
  dataDir: string;
}

export async function testClickHouse(prefix = 'test'): Promise<TestClickHouse> {
  const dataDir = `${REPO_ROOT}.local/test-chdb/${process.pid}`;
  const settings = clickHouseSettingsFromEnv({ ...process.env, CLICKHOUSE_DATA_DIR: dataDir });
  const database = uniqueName(prefix);
  return { client: await createClickHouseClient(settings), database, dataDir };
}
