// In-process tap for Node gateways built on fastify: register the plugin and every request the
// app serves becomes one api-request event. The onResponse hook only records the exchange as a
// flat tuple; building the event, serialising and producing to Kafka happen in the sink —
// off the event loop with a WorkerSink.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ConsumerIdentity } from '@tollgate/schemas';
// The schema's bounds alone: the validator stays out of the gateway's process.
import { API_REQUEST_MAXIMA as MAXIMA } from '@tollgate/schemas/limits';
import type { Exchange } from './exchange.ts';

/** Where the plugin's exchanges go: a WorkerSink. */
export interface ExchangeSink {
  record(exchange: Exchange): void;
}

export interface TapPluginOptions {
  sink: ExchangeSink;
  /** API name recorded on every event (e.g. the service name). */
  api?: string;
  gatewayInstance?: string;
  /** Who called: read from the request after authentication ran. Return undefined for anonymous. */
  consumer?: (request: FastifyRequest) => ConsumerIdentity | undefined;
}

/**
 * A byte count from a Content-Length header; null when absent or not one the event can hold (a
 * client may send any digits: beyond the schema's maximum it would wrap in ClickHouse's UInt64).
 */
function headerNumber(value: string | string[] | number | undefined): number | null {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return value !== undefined && Number.isFinite(n) && n >= 0 && n <= MAXIMA.requestBytes ? Math.trunc(n) : null;
}

const tapPlugin: FastifyPluginAsync<TapPluginOptions> = async (app, options) => {
  const api = options.api ?? null;
  const instance = options.gatewayInstance ?? null;
  // A callback hook, not an async one: no promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    const requestId = request.headers['x-request-id'];
    const userAgent = request.headers['user-agent'];
    const consumer = options.consumer?.(request);
    const elapsed = reply.elapsedTime;
    const exchange: Exchange = [
      typeof requestId === 'string' ? requestId : null,
      Date.now() - elapsed,
      request.method,
      request.url,
      request.routeOptions.url ?? null,
      request.host || null,
      reply.statusCode,
      elapsed,
      headerNumber(request.headers['content-length']),
      headerNumber(reply.getHeader('content-length')),
      request.ip || null,
      typeof userAgent === 'string' ? userAgent : null,
      api,
      instance,
      consumer?.id ?? null,
      consumer?.app_id ?? null,
      consumer?.subject ?? null,
      consumer?.org_id ?? null,
      consumer?.auth_method ?? null,
      consumer?.scopes?.join(' ') ?? null,
    ];
    // The response is already sent; the sink takes it from here.
    options.sink.record(exchange);
    done();
  });
};

/** fastify-plugin lifts the hook out of encapsulation so it sees every route of the app. */
export const tollgateTap = fp(tapPlugin, { fastify: '5.x', name: 'tollgate-tap' });
