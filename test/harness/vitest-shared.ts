// The vitest settings every workspace shares. Test files run in separate processes (forks):
// chDB binds one data folder to a process, so each test file gets its own embedded engine.
import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';
import { REPO_ROOT, type Service } from './infra.ts';

/** `infra` names what the workspace's tests talk to; the global setup starts only that. */
export function sharedTestConfig(workspace: string, infra: Service[] = []): ViteUserConfig {
  process.env.TOLLGATE_TEST_INFRA = infra.join(',');
  return {
    test: {
      include: ['test/**/*.test.ts', '**/*.test.ts'],
      exclude: ['**/node_modules/**'],
      pool: 'forks',
      globalSetup: [fileURLToPath(new URL('./global-setup.ts', import.meta.url))],
      testTimeout: 120_000,
      hookTimeout: 180_000,
      reporters: ['default', 'json'],
      outputFile: { json: `${REPO_ROOT}.local/test-results/${workspace}.json` },
    },
  };
}
