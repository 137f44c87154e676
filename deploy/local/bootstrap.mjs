#!/usr/bin/env node
// Entry point of `npm start` and `npm test` on a fresh clone: installs the dependencies when they
// are missing (plain Node, no dependency of its own), then runs the TypeScript entry with tsx,
// passing signals and the exit code through.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// @platformatic/kafka (the tap's producer) needs 20.19.4 on Node 20 and 22.18 on Node 22; crc32 from
// node:zlib needs 20.15. Older versions fail later with an obscure error, so say it here.
const [major, minor, patch] = process.versions.node.split('.').map(Number);
const atLeast = (a, b, c) => major > a || (major === a && (minor > b || (minor === b && patch >= c)));
if (major < 20 || (major === 20 && !atLeast(20, 19, 4)) || (major === 22 && !atLeast(22, 18, 0)) || major === 21) {
  console.error(`Tollgate needs Node.js 20.19.4 or later (22.18 or later on Node 22); this is ${process.versions.node}. See "engines" in package.json.`);
  process.exit(1);
}
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node deploy/local/bootstrap.mjs ENTRY.ts [ARGS...]');
  process.exit(2);
}

const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  console.error('Installing dependencies (npm ci)…');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const child = spawn(process.execPath, ['--import', 'tsx', join(root, entry), ...args], { cwd: root, stdio: 'inherit', env: childEnv() });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

/**
 * Under libfaketime (`faketime -f '+100d' npm test`), Node processes run without it and move their
 * own clock by the same offset instead (shifted-clock.mjs says why). Non-Node children keep it only
 * if they are started from a shell that still has it; the local broker gets the offset through its
 * timestamp window (kafka.sh).
 */
function childEnv() {
  const preload = process.env.LD_PRELOAD ?? '';
  if (!/libfaketime/.test(preload)) return process.env;
  const withoutFaketime = preload.split(/[:\s]+/).filter((lib) => lib && !/libfaketime/.test(lib)).join(':');
  const env = { ...process.env, LD_PRELOAD: withoutFaketime };
  const realNow = Number(execFileSync('date', ['+%s%3N'], { env, encoding: 'utf8' }).trim());
  const offset = Date.now() - realNow;
  const shift = join(root, 'deploy', 'local', 'shifted-clock.mjs');
  console.error(`libfaketime detected: Node runs ${Math.round(offset / 1000)} s off the real clock through ${shift}`);
  return {
    ...env,
    TOLLGATE_CLOCK_OFFSET_MS: String(offset),
    // For native children that must share the run's clock (test/harness/clock.ts runClockEnv).
    TOLLGATE_FAKETIME_PRELOAD: preload,
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${pathToFileURL(shift).href}`.trim(),
    // A broker of its own: one already running on the usual port would refuse the shifted timestamps.
    TOLLGATE_KAFKA_PORT: process.env.TOLLGATE_KAFKA_PORT ?? '19092',
    TOLLGATE_KAFKA_CONTROLLER_PORT: process.env.TOLLGATE_KAFKA_CONTROLLER_PORT ?? '19093',
    TOLLGATE_KAFKA_DIR: process.env.TOLLGATE_KAFKA_DIR ?? join(root, '.local', 'kafka-shifted-clock'),
  };
}
