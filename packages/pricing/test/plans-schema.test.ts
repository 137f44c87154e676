// The published plans schema (schemas/plans/plans.v1.schema.json) accepts the example plans file
// and every plans file the tests use, and the validator refuses what the schema refuses.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_PLANS_FILE, parsePlansFile } from '../src/index.ts';
import { structureProblems } from '../src/plans-structure.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SKIPPED = new Set(['node_modules', '.git', '.local', 'dist', 'docs']);

/** Every YAML or JSON file in the repository that is a plans file (version and plans at its root). */
function plansFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : plansFiles(path);
    if (!/\.(ya?ml|json)$/.test(entry.name)) return [];
    const text = readFileSync(path, 'utf8');
    if (!/^\s*"?version"?\s*:\s*1\b/m.test(text) || !/^\s*"?plans"?\s*:/m.test(text)) return [];
    return [path];
  });
}

const readDocument = (path: string): unknown => (path.endsWith('.json') ? JSON.parse(readFileSync(path, 'utf8')) : parseYaml(readFileSync(path, 'utf8')));

describe('plans schema', () => {
  const files = plansFiles();

  it('finds the example and the test fixtures', () => {
    expect(files).toContain(DEFAULT_PLANS_FILE);
    expect(files.length).toBeGreaterThanOrEqual(4);
  });

  for (const file of files) {
    it(`accepts ${relative(ROOT, file)}`, () => {
      expect(structureProblems(readDocument(file))).toEqual([]);
      expect(() => parsePlansFile(readFileSync(file, 'utf8'), file.endsWith('.json') ? 'json' : 'yaml')).not.toThrow();
    });
  }

  it('the example names the schema for editors', () => {
    expect(readFileSync(DEFAULT_PLANS_FILE, 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\.\/\.\.\/schemas\/plans\/plans\.v1\.schema\.json$/m);
  });

  it('names the path of what the schema refuses', () => {
    const document = {
      version: 1,
      plans: { p: { name: 'P', currency: 'EUR', meters: [{ id: 'calls', description: 'Calls', unit: 'requests', price: { model: 'per_unit', unit_price: 0.5 } }], extra: true } },
    };
    const problems = structureProblems(document);
    expect(problems.some((p) => p.startsWith('plans.p.extra '))).toBe(true);
    expect(problems.some((p) => p.startsWith('plans.p.meters[0].price'))).toBe(true);
  });
});
