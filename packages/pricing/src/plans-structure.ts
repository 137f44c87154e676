// The plans file's structure, checked with its published JSON Schema (@tollgate/schemas/plans, the
// one editors read), so that what the schema refuses the validator refuses too. Problems come back
// in plan-file.ts's form, "<path> <message>" (plans.starter.meters[0].price.unit_price ...).
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { PLANS_V1_SCHEMA } from '@tollgate/schemas/plans';

const validate = new Ajv2020({ allErrors: true }).compile(PLANS_V1_SCHEMA);

/** `/plans/starter/meters/0/unit` → `plans.starter.meters[0].unit`. */
function pathOf(error: ErrorObject): string {
  const parts = error.instancePath.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (error.keyword === 'additionalProperties') parts.push(String(error.params.additionalProperty));
  if (error.keyword === 'required') parts.push(String(error.params.missingProperty));
  const path = parts.map((p, i) => (/^\d+$/.test(p) && i > 0 ? `[${p}]` : `${i > 0 ? '.' : ''}${p}`)).join('');
  return path === '' ? '(root)' : path;
}

/** The schema's objections, one per path (the first says enough), in the document's order. */
export function structureProblems(document: unknown): string[] {
  if (validate(document)) return [];
  const byPath = new Map<string, string>();
  for (const error of validate.errors ?? []) {
    const path = pathOf(error);
    if (!byPath.has(path)) byPath.set(path, `${path} ${error.keyword === 'required' ? 'is required' : (error.message ?? 'is not valid')} (JSON Schema: ${error.schemaPath})`);
  }
  return [...byPath.values()];
}
