// The fastify instance every service starts from: the request log without credentials, the one
// Ajv configuration (with the service's custom formats), the one error handler and 404 answer.
// With `openapi`, the app describes its routes at GET /openapi.json (openapi.ts). Routes are then
// registered as plugins by the service's app builder (a plugin loads after @fastify/swagger, which
// must see each route as it is added: a route added to the root directly would be left out).
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { registerErrorHandler } from './errors.ts';
import { registerOpenApi, type OpenApiInfo } from './openapi.ts';
import { httpLogger } from './request-log.ts';
import { ajvOptions, inputErrorFormatter, type InputFormats } from './validation.ts';

export interface HttpAppOptions extends Pick<FastifyServerOptions, 'bodyLimit' | 'return503OnClosing'> {
  /** The service's logger; the app logs under `component: http`. None: no request log. */
  log?: Logger;
  /** Custom string formats the route schemas use (`format: 'period'`), with their error messages. */
  formats?: InputFormats;
  /** The API's title and description: the app serves its OpenAPI document at /openapi.json. */
  openapi?: OpenApiInfo;
}

export function createHttpApp({ log, formats = {}, openapi, ...server }: HttpAppOptions = {}): FastifyInstance {
  const app = Fastify({
    ...server,
    ...(log ? { loggerInstance: httpLogger(log) } : {}),
    ajv: { customOptions: ajvOptions(formats) },
    schemaErrorFormatter: inputErrorFormatter(formats),
  });
  registerErrorHandler(app);
  if (openapi) registerOpenApi(app, openapi);
  return app;
}
