// Request input is validated by JSON schemas on the routes; this module holds the one Ajv
// configuration every app uses (createHttpApp hands it to fastify) and turns Ajv's first error
// into the one error shape, naming the parameter or field at fault. Rules a JSON schema keyword
// cannot say (a relative time, a billing period) are custom formats, each with the sentence an
// operator reads when a value breaks it. compileInput validates the same way outside a request.
import { Ajv, type ErrorObject, type Options } from 'ajv';
import type { FastifySchemaValidationError } from 'fastify';
import { HttpError } from './errors.ts';

export interface InputFormat {
  validate(value: string): boolean;
  /** Completes "parameter from: …", e.g. `must be YYYY-MM`. */
  message: string;
}
export type InputFormats = Readonly<Record<string, InputFormat>>;

/** Where the input came from (fastify's schemaErrorFormatter `dataVar`). */
export type InputContext = 'body' | 'headers' | 'params' | 'querystring';

/** Builds the error thrown for a refused input; the default answers 400 bad_request. */
export type InputErrorFactory = (param: string | undefined, problem: string, context: InputContext) => HttpError;

const LABEL: Record<InputContext, string> = { querystring: 'parameter ', body: '', params: 'path parameter ', headers: 'header ' };

export const badInput: InputErrorFactory = (param, problem, context) =>
  new HttpError('bad_request', 400, param === undefined ? `${context} ${problem}` : `${LABEL[context]}${param}: ${problem}`, param === undefined ? {} : { param });

/**
 * Fastify's Ajv defaults, except that a field a schema does not declare is refused (a typo such
 * as `limt` would otherwise be dropped silently) and errors carry the refused value.
 */
export function ajvOptions(formats: InputFormats = {}): Options {
  return {
    coerceTypes: 'array',
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    verbose: true,
    formats: Object.fromEntries(Object.entries(formats).map(([name, f]) => [name, { type: 'string' as const, validate: (v: string) => f.validate(v) }])),
  };
}

function paramOf(error: ErrorObject): string | undefined {
  if (error.keyword === 'required') return String(error.params.missingProperty);
  if (error.keyword === 'additionalProperties') return String(error.params.additionalProperty);
  const path = error.instancePath.replace(/^\//, '').replaceAll('/', '.');
  return path === '' ? undefined : path;
}

function problemOf(error: ErrorObject, context: InputContext, formats: InputFormats): string {
  const schema = (error.parentSchema ?? {}) as { type?: string; minimum?: number; maximum?: number; properties?: object };
  if (Array.isArray(error.data) && schema.type !== 'array' && error.keyword === 'type') return 'is given more than once';
  let problem: string;
  switch (error.keyword) {
    case 'required':
      return 'is required';
    case 'additionalProperties':
      return `${context === 'querystring' ? 'is not a parameter of this query' : 'is not a known field'} (expected one of: ${Object.keys(schema.properties ?? {}).join(', ')})`;
    case 'format':
      problem = formats[String(error.params.format)]?.message ?? `must be a ${String(error.params.format)}`;
      break;
    case 'enum':
      problem = `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
      break;
    case 'maxLength':
      problem = `is longer than ${String(error.params.limit)} characters`;
      break;
    case 'type':
    case 'minimum':
    case 'maximum':
      problem = schema.type === 'integer' && schema.minimum !== undefined && schema.maximum !== undefined ? `must be an integer between ${schema.minimum} and ${schema.maximum}` : (error.message ?? 'is not valid');
      break;
    default:
      problem = error.message ?? 'is not valid';
  }
  return error.data === undefined || typeof error.data === 'object' ? problem : `${problem} (got ${JSON.stringify(error.data)})`;
}

/** Ajv's first error as the error the route answers with. */
export function inputError(errors: readonly (ErrorObject | FastifySchemaValidationError)[], context: InputContext, formats: InputFormats = {}, toError: InputErrorFactory = badInput): HttpError {
  const first = errors[0] as ErrorObject | undefined;
  if (!first) return toError(undefined, 'is not valid', context);
  return toError(paramOf(first), problemOf(first, context, formats), context);
}

/** A fastify `schemaErrorFormatter` (app-wide or on one route, to answer with that route's own codes). */
export function inputErrorFormatter(formats: InputFormats = {}, toError: InputErrorFactory = badInput): (errors: FastifySchemaValidationError[], context: InputContext) => Error {
  return (errors, context) => inputError(errors, context, formats, toError);
}

/** The same validation as a route's, for input that does not arrive over HTTP. Fills defaults in place. */
export function compileInput<T>(schema: object, options: { context: InputContext; formats?: InputFormats; toError?: InputErrorFactory }): (data: unknown) => T {
  const validate = new Ajv(ajvOptions(options.formats)).compile(schema);
  return (data) => {
    if (!validate(data)) throw inputError(validate.errors ?? [], options.context, options.formats, options.toError);
    return data as T;
  };
}
