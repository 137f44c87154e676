// The one compiled validator for api-request v1, shared by the tap (before producing) and the
// enricher (before storing). Compiled once at module load; validation itself allocates nothing
// for valid events.
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
// A static import, so that a bundled service carries the schema inside it.
import apiRequestV1SchemaJson from '../events/api-request.v1.schema.json' with { type: 'json' };
import type { ApiRequestEvent } from './api-request.ts';

export const apiRequestV1Schema: object = apiRequestV1SchemaJson;

// ajv-formats is CommonJS with its function on `default`; how that arrives depends on the loader.
type AddFormats = (ajv: Ajv, formats: string[]) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
addFormats(ajv, ['ipv4', 'ipv6']);
// Nearly every timestamp is already in the pipeline's own form: check that form by its characters
// and leave the general RFC 3339 parser (a regex split and a Date per call) to everything else.
const rfc3339 = fullFormats['date-time'] as { validate: (text: string) => boolean };
ajv.addFormat('date-time', { type: 'string', validate: (text: string) => isCanonicalUtc(text) || rfc3339.validate(text) });
const compiled = ajv.compile<ApiRequestEvent>(apiRequestV1Schema);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The decimal number in text[from, from + length), or -1 when a character is not a digit. */
function digitsAt(text: string, from: number, length: number): number {
  let value = 0;
  for (let i = from; i < from + length; i += 1) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * True for exactly the form the pipeline writes — UTC with milliseconds, "2026-11-01T12:00:00.000Z" —
 * and a real calendar instant (no 2026-02-30, no 24:00; a leap second is left to the general parser).
 */
export function isCanonicalUtc(text: string): boolean {
  if (text.length !== 24) return false;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':' || text[19] !== '.' || text[23] !== 'Z') return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  if (digitsAt(text, 20, 3) < 0) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0));
}

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
