// Envoy ext_authz (HTTP service): the original request's headers arrive here, under the
// /v1/authorize prefix. 200 lets the call through, 429 refuses a hard-quota consumer with nothing
// left. The gateway proves itself with x-tollgate-gateway-token (added by the ext_authz filter),
// since Authorization belongs to the original caller; a missing or wrong one is 403.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import { bearerTokenCheck, Forbidden } from '@tollgate/platform';
import { QuotaExceeded } from '../errors.ts';
import type { QuotaBook } from '../quota-book.ts';
import type { GatewayAuth } from './gateway-auth.ts';

export interface AuthorizeRoutesOptions {
  quota: QuotaBook;
  gatewayAuth: GatewayAuth;
  /** Header naming the consumer (BILLING_CONSUMER_HEADER), lower-case. */
  consumerHeader: string;
  registry: Registry;
}

export const authorizeRoutes: FastifyPluginAsync<AuthorizeRoutesOptions> = async (app, { quota, gatewayAuth, consumerHeader, registry }) => {
  if (gatewayAuth.enabled) {
    // No token configured: the check never passes (fail closed).
    const isGateway = bearerTokenCheck(gatewayAuth.tokens);
    app.addHook('onRequest', async (request) => {
      if (!isGateway(`Bearer ${String(request.headers['x-tollgate-gateway-token'] ?? '')}`)) throw new Forbidden('x-tollgate-gateway-token is missing or wrong');
    });
  }
  // Time inside the server per decision, from the request's arrival to the response being sent.
  const decisions = new Histogram({
    name: 'tollgate_billing_authorize_seconds',
    help: 'Quota decisions (ext_authz): time in the server',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [registry],
  });
  app.addHook('onResponse', (_request, reply, done) => {
    decisions.observe(reply.elapsedTime / 1000);
    done();
  });

  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    const consumer = request.headers[consumerHeader];
    if (typeof consumer !== 'string' || consumer === '') return reply.code(200).header('x-tollgate-quota', 'anonymous').send();
    const answer = quota.check(consumer);
    if (!answer.state) return reply.code(200).header('x-tollgate-quota', answer.known ? 'unlimited' : 'unknown').send();
    const reset = Math.max(0, Math.ceil((Date.parse(answer.period_end) - Date.now()) / 1000));
    void reply
      .header('x-ratelimit-limit', String(answer.state.limit))
      .header('x-ratelimit-remaining', String(answer.state.remaining))
      .header('x-ratelimit-reset', String(reset));
    if (answer.state.blocked) throw new QuotaExceeded(consumer, answer.state.limit, reset);
    return reply.code(200).send();
  };
  app.all('/v1/authorize', authorize);
  app.all('/v1/authorize/*', authorize);
};
