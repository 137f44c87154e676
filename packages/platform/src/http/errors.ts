// Every answer that is not a success has one body shape, `{ error, message }` (plus `param` when
// one request parameter or field is to blame), and every error code is defined once: the codes
// all services share here, each service's own in its errors.ts. Handlers throw; the one error
// handler (registerErrorHandler) answers. The model is fastify's lib/errors.js; @fastify/error is
// not used because it upper-cases codes, and ours are lower-case on the wire.
import type { FastifyError, FastifyInstance } from 'fastify';

export interface HttpErrorDetails {
  /** The request parameter or body field that was refused. */
  param?: string;
  /** Headers the answer carries (WWW-Authenticate, Retry-After, ...). */
  headers?: Record<string, string>;
}

export class HttpError extends Error {
  readonly param: string | undefined;
  readonly headers: Record<string, string>;
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    details: HttpErrorDetails = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.param = details.param;
    this.headers = details.headers ?? {};
  }
}

export interface ErrorBody {
  error: string;
  message: string;
  param?: string;
}

/** An error class for one code: `throw new NotFound('no consumer "x"')`. */
export function defineError<A extends unknown[]>(code: string, statusCode: number, message: (...args: A) => string, headers?: Record<string, string>) {
  return class extends HttpError {
    static readonly code = code;
    constructor(...args: A) {
      super(code, statusCode, message(...args), headers ? { headers } : {});
    }
  };
}

/** Errors every service answers with. */
export const BadRequest = defineError('bad_request', 400, (message: string) => message);
export const Unauthorized = defineError('unauthorized', 401, () => 'a valid bearer token is required', { 'www-authenticate': 'Bearer' });
export const Forbidden = defineError('forbidden', 403, (message: string) => message);
export const NotFound = defineError('not_found', 404, (message: string) => message);
export const NotConfigured = defineError('not_configured', 503, (message: string) => message);

/** Fastify's own client errors (FST_ERR_*), answered under our codes by their status. */
const CODE_BY_STATUS: Record<number, string> = { 404: 'not_found', 413: 'payload_too_large', 415: 'unsupported_media_type' };

function bodyOf(error: FastifyError | HttpError): { status: number; body: ErrorBody; headers: Record<string, string> } {
  if (error instanceof HttpError) {
    return { status: error.statusCode, body: { error: error.code, message: error.message, ...(error.param === undefined ? {} : { param: error.param }) }, headers: error.headers };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { status, body: { error: CODE_BY_STATUS[status] ?? 'bad_request', message: error.message }, headers: {} };
  return { status: 500, body: { error: 'internal_error', message: 'internal error' }, headers: {} };
}

/**
 * Thrown HttpErrors answer with their code, status and message; fastify's client errors (bad JSON,
 * body too large, wrong media type, failed validation) keep their status and say what was wrong;
 * anything else is a 500 whose details stay in the log.
 */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
    const { status, body, headers } = bodyOf(error);
    if (status === 500) request.log.error({ err: error }, 'request failed');
    void reply.code(status).headers(headers).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url}` } satisfies ErrorBody);
  });
}
