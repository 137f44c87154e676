// `npm test`: type-check and lint every workspace, start the local infrastructure once, run every
// workspace's tests through turbo, and end with one line: `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureRunning, REPO_ROOT, stop, type Service } from './infra.ts';

const resultsDir = `${REPO_ROOT}.local/test-results`;

function turbo(...args: string[]): number {
  const result = spawnSync('npx', ['turbo', 'run', ...args, '--output-logs=new-only'], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: process.env,
  });
  return result.status ?? 1;
}

interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
}

function summarise(): { passed: number; failed: number; skipped: number; files: number } {
  const total = { passed: 0, failed: 0, skipped: 0, files: 0 };
  if (!existsSync(resultsDir)) return total;
  for (const file of readdirSync(resultsDir).filter((f) => f.endsWith('.json'))) {
    const report = JSON.parse(readFileSync(`${resultsDir}/${file}`, 'utf8')) as VitestJsonReport;
    total.files += 1;
    total.passed += report.numPassedTests;
    // A test file that fails to load has no failed tests but is a failure all the same.
    total.failed += report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
    total.skipped += report.numPendingTests + report.numTodoTests;
  }
  return total;
}

rmSync(resultsDir, { recursive: true, force: true });
const checks = turbo('typecheck', 'lint', '--concurrency=2', '--continue');

const started: Service[] = [];
let tests: number;
try {
  for (const service of ['kafka', 'stripe-mock'] as const) if (ensureRunning(service)) started.push(service);
  tests = turbo('test', '--concurrency=1', '--continue');
} finally {
  for (const service of started) stop(service);
}

const { passed, failed, skipped, files } = summarise();
if (checks !== 0) console.log('type-check or lint failed (see above)');
if (tests !== 0 && failed === 0) console.log(`a test run failed before reporting (${files} reports found)`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(checks !== 0 || tests !== 0 || failed > 0 ? 1 : 0);
