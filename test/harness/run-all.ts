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
  testResults: {
    name: string;
    message?: string;
    assertionResults: { status: string; fullName: string; failureMessages: string[] }[];
  }[];
}

function readReports(): VitestJsonReport[] {
  if (!existsSync(resultsDir)) return [];
  return readdirSync(resultsDir)
    .filter((f) => f.endsWith('.json'))
    .map((file) => JSON.parse(readFileSync(`${resultsDir}/${file}`, 'utf8')) as VitestJsonReport);
}

// CI shows only the tail of the output: name each failure there, with its first line of reason.
function failures(reports: VitestJsonReport[]): string[] {
  const lines: string[] = [];
  const firstLine = (text: string | undefined) => (text ?? '').split('\n')[0]!.slice(0, 300);
  for (const file of reports.flatMap((report) => report.testResults ?? [])) {
    const where = file.name.slice(REPO_ROOT.length);
    const failed = (file.assertionResults ?? []).filter((test) => test.status === 'failed');
    for (const test of failed) lines.push(`FAILED ${where} > ${test.fullName}: ${firstLine(test.failureMessages[0])}`);
    if (failed.length === 0 && file.message) lines.push(`FAILED ${where}: ${firstLine(file.message)}`);
  }
  return lines;
}

function summarise(reports: VitestJsonReport[]): { passed: number; failed: number; skipped: number; files: number } {
  const total = { passed: 0, failed: 0, skipped: 0, files: 0 };
  for (const report of reports) {
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

const reports = readReports();
const { passed, failed, skipped, files } = summarise(reports);
for (const line of failures(reports)) console.log(line);
if (checks !== 0) console.log('type-check or lint failed (see above)');
if (tests !== 0 && failed === 0) console.log(`a test run failed before reporting (${files} reports found)`);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(checks !== 0 || tests !== 0 || failed > 0 ? 1 : 0);
