// Tests hold a service's answers to its own OpenAPI document: given the document, the request's
// method and URL and the inject() (or fetch) answer, the status must be one the operation lists
// and a JSON body must match that status's schema. So a route that starts answering a field, a
// status or a shape its description does not state fails a test instead of drifting silently.
// OpenAPI 3.1 schemas are JSON Schema 2020-12: Ajv's 2020 build validates them.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse as InjectResponse } from 'fastify';
import { OPENAPI_PATH } from '../http/openapi.ts';

export interface OpenApiDocument {
  paths?: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
}

/** What the check reads of an answer: inject()'s LightMyRequest response, or a fetch answer read into these fields. */
export interface AnswerToCheck {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

function templateMatches(template: string, path: string): boolean {
  const pattern = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part === '{*}' ? '.*' : part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${pattern}$`).test(path);
}

/** The document's path template for a concrete path: an exact path wins over a template. */
export function pathTemplate(document: OpenApiDocument, path: string): string | undefined {
  const paths = Object.keys(document.paths ?? {});
  if (paths.includes(path)) return path;
  return paths.filter((t) => !t.includes('{*}')).find((t) => templateMatches(t, path)) ?? paths.find((t) => templateMatches(t, path));
}

/**
 * A checker for one document: `check('GET', '/v1/usage?from=now-1h', response)` throws an Error
 * saying what does not match. Compiled schemas are kept per document.
 */
export function responseChecker(document: OpenApiDocument): (method: string, url: string, answer: AnswerToCheck) => void {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  const compiled = new Map<object, ValidateFunction>();
  return (method, url, answer) => {
    const path = url.split('?')[0] ?? url;
    const template = pathTemplate(document, path);
    if (template === undefined) throw new Error(`${method} ${path}: no path of the OpenAPI document matches`);
    const operation = document.paths?.[template]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${method} ${template}: the OpenAPI document has no such operation`);
    const status = String(answer.statusCode);
    const responses = operation.responses ?? {};
    const described = responses[status] ?? responses[`${status[0]}XX`] ?? responses.default;
    if (!described) throw new Error(`${method} ${template}: status ${status} is not described (described: ${Object.keys(responses).join(', ')})`);
    const contentType = String(answer.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const content = described.content;
    if (!content) {
      if (answer.body !== '') throw new Error(`${method} ${template} ${status}: described without a body, answered ${JSON.stringify(answer.body.slice(0, 200))}`);
      return;
    }
    const media = content[contentType];
    if (!media) throw new Error(`${method} ${template} ${status}: Content-Type ${contentType || 'none'} is not described (described: ${Object.keys(content).join(', ')})`);
    if (!contentType.includes('json') || !media.schema) return;
    let validate = compiled.get(media.schema);
    if (!validate) {
      validate = ajv.compile(media.schema);
      compiled.set(media.schema, validate);
    }
    const body: unknown = JSON.parse(answer.body);
    if (!validate(body)) {
      throw new Error(`${method} ${template} ${status}: the body does not match the OpenAPI schema: ${ajv.errorsText(validate.errors)}\nbody: ${answer.body.slice(0, 500)}`);
    }
  };
}

/**
 * `app.inject` that holds every answer to the app's own /openapi.json (read once): a test written
 * against it fails when a route answers what its description does not say.
 */
export function specCheckedInject(app: FastifyInstance): (options: InjectOptions) => Promise<InjectResponse> {
  let check: ReturnType<typeof responseChecker> | undefined;
  return async (options) => {
    check ??= responseChecker((await app.inject({ method: 'GET', url: OPENAPI_PATH })).json<OpenApiDocument>());
    const answer = await app.inject(options);
    const url = options.url ?? options.path ?? '/';
    check(options.method ?? 'GET', typeof url === 'string' ? url : url.pathname, answer);
    return answer;
  };
}
