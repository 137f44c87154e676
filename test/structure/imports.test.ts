// The import rules of docs/architecture.md, checked on every TypeScript/JavaScript file of every
// workspace (src, tests, scripts): services import packages, never another service (only the
// stack, which composes the services, and the bench/test workspaces may); no relative import
// reaches into another workspace's src (the shared test harness, test/harness, is reached by path);
// no two files import each other, directly or around a circle.
// Imports are read with TypeScript's own pre-processor, so comments and strings never count.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CODE = /\.(ts|mts|js|mjs)$/;
/** Workspaces allowed to import services: they compose or exercise the whole pipeline. */
const MAY_IMPORT_SERVICES = new Set(['services/stack', 'bench', 'test']);

interface Workspace {
  name: string;
  dir: string; // relative to the root, e.g. services/tap
  exports: Record<string, string>;
}

function workspaces(): Workspace[] {
  const patterns = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  const dirs = patterns.flatMap((p) =>
    p.endsWith('/*') ? readdirSync(join(ROOT, p.slice(0, -2)), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `${p.slice(0, -2)}/${d.name}`) : [p],
  );
  return dirs
    .filter((dir) => existsSync(join(ROOT, dir, 'package.json')))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { name: string; exports?: Record<string, string> };
      return { name: pkg.name, dir, exports: pkg.exports ?? {} };
    });
}

function codeFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...codeFiles(path));
    else if (CODE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The file a package specifier names through the workspace's `exports` map, if it is one of ours. */
function exportTarget(ws: Workspace, subpath: string): string | undefined {
  const key = subpath === '' ? '.' : `./${subpath}`;
  const exact = ws.exports[key];
  if (exact) return resolve(ROOT, ws.dir, exact);
  for (const [pattern, target] of Object.entries(ws.exports)) {
    const star = pattern.indexOf('*');
    if (star < 0 || !key.startsWith(pattern.slice(0, star)) || !key.endsWith(pattern.slice(star + 1))) continue;
    return resolve(ROOT, ws.dir, target.replace('*', key.slice(star, key.length - (pattern.length - star - 1))));
  }
  return undefined;
}

function resolveRelative(from: string, spec: string): string {
  const path = resolve(dirname(from), spec);
  if (existsSync(path) && CODE.test(path)) return path;
  for (const candidate of [`${path}.ts`, `${path}.js`, join(path, 'index.ts')]) if (existsSync(candidate)) return candidate;
  return path;
}

interface Edge {
  from: string; // relative to the root
  spec: string;
  to?: string; // the file imported, relative to the root, when it is ours
}

function readImports(list: Workspace[]): { ws: Workspace; edges: Edge[] }[] {
  const byName = new Map(list.map((ws) => [ws.name, ws]));
  return list.map((ws) => {
    const edges: Edge[] = [];
    for (const file of codeFiles(join(ROOT, ws.dir))) {
      const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      for (const { fileName: spec } of info.importedFiles) {
        let to: string | undefined;
        if (spec.startsWith('.')) to = resolveRelative(file, spec);
        else {
          const match = /^(@tollgate\/[^/]+)(?:\/(.*))?$/.exec(spec);
          const target = match ? byName.get(match[1] ?? '') : undefined;
          if (target) to = exportTarget(target, match?.[2] ?? '');
        }
        edges.push({ from: relative(ROOT, file), spec, ...(to ? { to: relative(ROOT, to) } : {}) });
      }
    }
    return { ws, edges };
  });
}

const inside = (path: string, dir: string): boolean => path === dir || path.startsWith(dir + sep) || path.startsWith(`${dir}/`);

/** Every circle of imports between files (each reported once, as the files around it). */
function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) if (e.to) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      if (state.get(to) === 'open') found.push([...stack.slice(stack.indexOf(to)), to]);
      else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...next.keys()].sort()) if (!state.has(file)) visit(file);
  return found;
}

describe('import rules (docs/architecture.md)', () => {
  const list = workspaces();
  const imports = readImports(list);
  const services = list.filter((ws) => ws.dir.startsWith('services/'));

  it('finds every workspace and its imports', () => {
    expect(list.map((ws) => ws.dir)).toEqual(expect.arrayContaining(['packages/platform', 'services/tap', 'services/stack', 'schemas', 'test', 'bench']));
    expect(imports.find((i) => i.ws.dir === 'services/stack')?.edges.some((e) => e.spec.startsWith('@tollgate/tap'))).toBe(true);
  });

  it('no workspace imports a service, except the stack, bench and test', () => {
    const offending = imports.flatMap(({ ws, edges }) =>
      MAY_IMPORT_SERVICES.has(ws.dir)
        ? []
        : edges
            .filter((e) => services.some((s) => s !== ws && (e.spec === s.name || e.spec.startsWith(`${s.name}/`))))
            .map((e) => `${e.from} imports ${e.spec}`),
    );
    expect(offending).toEqual([]);
  });

  it("no relative import reaches into another workspace's src", () => {
    const offending = imports.flatMap(({ ws, edges }) =>
      edges
        .filter((e) => e.spec.startsWith('.') && e.to !== undefined && list.some((other) => other !== ws && !inside(ws.dir, other.dir) && inside(e.to ?? '', `${other.dir}/src`)))
        .map((e) => `${e.from} imports ${e.spec}`),
    );
    expect(offending).toEqual([]);
  });

  it('no import cycle between files', () => {
    const circles = cycles(imports.flatMap((i) => i.edges)).map((c) => c.join(' -> '));
    expect(circles).toEqual([]);
  });
});
