// The published JSON Schema of the plans file (plans/plans.v1.schema.json, draft 2020-12): what
// packages/pricing's validator checks a file's structure with, and what editors read (the example
// file names it in a yaml-language-server comment).
import schema from '../plans/plans.v1.schema.json' with { type: 'json' };

export const PLANS_V1_SCHEMA: Readonly<Record<string, unknown>> = schema;
