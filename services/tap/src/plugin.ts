// In-process tap for Node gateways built on fastify: register the plugin and every request the
// app serves becomes one api-request event, built in onResponse and handed to the sink without
// the response waiting for Kafka.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ApiRequestEvent, ConsumerIdentity } from '@tollgate/schemas';
import { toMessage } from './events.ts';
import type { SpoolMessage } from './sink/spool.ts';

export interface TapPluginOptions {
  /** Where events go: the tap's EventSink, or anything with the same accept(). */
  sink: { accept(messages: SpoolMessage[]): Promise<void> };
  /** API name recorded on every event (e.g. the service name). */
  api?: string;
  gatewayInstance?: string;
  /** Who called: read from the request after authentication ran. Return undefined for anonymous. */
  consumer?: (request: FastifyRequest) => ConsumerIdentity | undefined;
  /** Called when an event could not be handed over (spool full): the request itself is done. */
  onDropped?: (error: Error) => void;
}

function headerNumber(value: string | string[] | number | undefined): number | undefined {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(n) && n >= 0 ? Math.trunc(n) : undefined;
}

export function eventFromExchange(
  request: FastifyRequest,
  status: number,
  elapsedMs: number,
  responseLength: number | undefined,
  options: Pick<TapPluginOptions, 'api' | 'gatewayInstance' | 'consumer'>,
): ApiRequestEvent {
  const requestId = typeof request.headers['x-request-id'] === 'string' ? request.headers['x-request-id'] : undefined;
  const queryAt = request.url.indexOf('?');
  const event: ApiRequestEvent = {
    schema: 'api-request/v1',
    event_id: requestId ? `fastify:${requestId}` : randomUUID(),
    timestamp: new Date(Date.now() - elapsedMs).toISOString(),
    gateway: { kind: 'fastify', ...(options.gatewayInstance ? { instance: options.gatewayInstance } : {}) },
    method: request.method,
    path: queryAt === -1 ? request.url : request.url.slice(0, queryAt),
    status,
    latency_ms: { total: Math.round(elapsedMs * 1000) / 1000 },
    client_ip: request.ip,
  };
  if (requestId) event.request_id = requestId;
  if (options.api) event.api = options.api;
  const template = request.routeOptions.url;
  if (template) event.path_template = template.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  if (request.hostname) event.host = request.hostname;
  const requestBytes = headerNumber(request.headers['content-length']);
  if (requestBytes !== undefined) event.request_bytes = requestBytes;
  if (responseLength !== undefined) event.response_bytes = responseLength;
  const userAgent = request.headers['user-agent'];
  if (userAgent) event.user_agent = userAgent.slice(0, 1024);
  const consumer = options.consumer?.(request);
  if (consumer) event.consumer = consumer;
  return event;
}

const tapPlugin: FastifyPluginAsync<TapPluginOptions> = async (app, options) => {
  app.addHook('onResponse', async (request, reply) => {
    const event = eventFromExchange(
      request,
      reply.statusCode,
      reply.elapsedTime,
      headerNumber(reply.getHeader('content-length')),
      options,
    );
    // Not awaited: the response is already sent, and the sink batches events for Kafka.
    options.sink.accept([toMessage(event)]).catch((error: Error) => options.onDropped?.(error));
  });
};

/** fastify-plugin lifts the hook out of encapsulation so it sees every route of the app. */
export const tollgateTap = fp(tapPlugin, { fastify: '5.x', name: 'tollgate-tap' });
