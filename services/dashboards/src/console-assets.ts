// The console's files, built once per process when the service starts: the two pages and their
// stylesheet from console/, and the page scripts (console/src, TypeScript) bundled by esbuild with
// ECharts, d3-geo, topojson-client and the world-atlas countries into same-origin ES modules. Built
// in memory rather than committed or prebuilt, so `npm start` and `npm test` on a fresh clone serve
// what the sources say, with no build step to forget and nothing loaded from a CDN (the page works
// offline; the CSP in routes/page.ts allows this origin only).
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface ConsoleAsset {
  body: string | Uint8Array;
  type: string;
}

/** URL path → file: `/`, `/consumer`, `/style.css`, `/app.js` (operator), `/consumer.js`, `/chunk-<hash>.js`. */
export type ConsoleAssets = ReadonlyMap<string, ConsoleAsset>;

const CONSOLE_DIR = new URL('../console/', import.meta.url);
const PAGES: Record<string, { file: string; type: string }> = {
  '/': { file: 'operator.html', type: 'text/html; charset=utf-8' },
  '/consumer': { file: 'consumer.html', type: 'text/html; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};
// Bundle name → page script; the operator's keeps the old page's name, /app.js.
const ENTRY_POINTS = { app: 'src/operator.ts', consumer: 'src/consumer.ts' };

async function buildConsoleAssets(): Promise<ConsoleAssets> {
  const assets = new Map<string, ConsoleAsset>();
  for (const [path, { file, type }] of Object.entries(PAGES)) assets.set(path, { body: await readFile(new URL(file, CONSOLE_DIR), 'utf8'), type });
  const result = await build({
    absWorkingDir: fileURLToPath(CONSOLE_DIR),
    entryPoints: ENTRY_POINTS,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    // Licences of the bundled libraries (ECharts: Apache-2.0; d3-geo, topojson-client, world-atlas: ISC) stay in the files.
    legalComments: 'eof',
    outdir: '/',
    entryNames: '[name]',
    chunkNames: 'chunk-[hash]',
    write: false,
    logLevel: 'silent',
  });
  for (const file of result.outputFiles) assets.set(`/${basename(file.path)}`, { body: file.contents, type: 'text/javascript; charset=utf-8' });
  return assets;
}

/**
 * The console's fixed paths, with empty bodies: what the OpenAPI document describes without
 * building the bundle (the shared chunks' hashed names are left out; the page scripts load them).
 */
export function consoleRoutesOnly(): ConsoleAssets {
  const scripts = Object.keys(ENTRY_POINTS).map((name) => [`/${name}.js`, { body: '', type: 'text/javascript; charset=utf-8' }] as const);
  return new Map([...Object.entries(PAGES).map(([path, { type }]) => [path, { body: '', type }] as const), ...scripts]);
}

let built: Promise<ConsoleAssets> | undefined;

/** The console's files; the bundle is built on the first call and shared by every later one. */
export function consoleAssets(): Promise<ConsoleAssets> {
  built ??= buildConsoleAssets().catch((error: unknown) => {
    built = undefined;
    throw error;
  });
  return built;
}
