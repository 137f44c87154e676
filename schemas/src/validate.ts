// The one compiled validator for api-request v1, shared by the tap (before producing) and the
// enricher (before storing). Compiled once at module load; validation itself allocates nothing
// for valid events.
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ApiRequestEvent } from './api-request.ts';

const require = createRequire(import.meta.url);
export const apiRequestV1Schema: object = require('../events/api-request.v1.schema.json');

// ajv-formats is CommonJS with its function on `default`; how that arrives depends on the loader.
type AddFormats = (ajv: Ajv, formats: string[]) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
addFormats(ajv, ['date-time', 'ipv4', 'ipv6']);
const compiled = ajv.compile<ApiRequestEvent>(apiRequestV1Schema);

export type ValidationResult = { ok: true; event: ApiRequestEvent } | { ok: false; reason: string };

/** One sentence naming the field, e.g. "/consumer/id must be string". */
export function describeError(error: ErrorObject): string {
  const at = error.instancePath === '' ? 'event' : error.instancePath;
  switch (error.keyword) {
    case 'required':
      return `${error.instancePath}/${(error.params as { missingProperty: string }).missingProperty} is required`;
    case 'additionalProperties':
      return `${at} has unknown field "${(error.params as { additionalProperty: string }).additionalProperty}"`;
    case 'enum':
      return `${at} must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
    case 'const':
      return `${at} must be ${JSON.stringify((error.params as { allowedValue: unknown }).allowedValue)}`;
    case 'anyOf':
      return `${at} must be an IPv4 or IPv6 address`;
    default:
      return `${at} ${error.message ?? 'is invalid'}`;
  }
}

export function validateApiRequest(candidate: unknown): ValidationResult {
  if (compiled(candidate)) return { ok: true, event: candidate };
  // An anyOf failure lists each branch's error first; the anyOf error itself says it best.
  const errors = compiled.errors ?? [];
  const error = errors.find((e) => e.keyword === 'anyOf') ?? errors[0];
  return { ok: false, reason: error ? describeError(error) : 'invalid event' };
}
