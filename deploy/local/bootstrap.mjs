#!/usr/bin/env node
// Entry point of `npm start` and `npm test` on a fresh clone: installs the dependencies when they
// are missing (plain Node, no dependency of its own), then runs the TypeScript entry with tsx,
// passing signals and the exit code through.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const child = spawn(process.execPath, ['--import', 'tsx', join(root, entry), ...args], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
