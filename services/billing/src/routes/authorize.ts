// /v1/authorize: the gateway asks, per call, whether to let it through (Envoy ext_authz HTTP, NGINX
// auth_request, APISIX forward-auth, Caddy forward_auth, Traefik forwardAuth). The gateway proves
// itself with x-tollgate-gateway-token, since Authorization belongs to the original caller; a
// missing or wrong one is 403 without a decision. The answer: 200 allow, 429 quota/rate, 403
// not_entitled/suspended/blocked, 401 unknown_consumer (policy/decision.ts), always with
// x-tollgate-decision, and a refusal with a JSON body `{ error: <decision>, message }`.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { bearerTokenCheck, errorResponses, Forbidden, type ErrorBody } from '@tollgate/platform';
import { answerHeaders } from '../policy/answer-headers.ts';
import { DECISIONS, decisionStatus, type DecisionCode } from '../policy/decision.ts';
import type { PolicyPoint } from '../policy/policy-point.ts';
import type { GatewayAuth } from './gateway-auth.ts';
import { AUTHORIZE_PATH, originalRequest, presentedApiKey } from './original-request.ts';

export interface AuthorizeRoutesOptions {
  policy: PolicyPoint;
  gatewayAuth: GatewayAuth;
  /** Header naming the consumer (BILLING_CONSUMER_HEADER), lower-case. */
  consumerHeader: string;
  /** Headers carrying an API key (BILLING_API_KEY_HEADERS), lower-case. */
  apiKeyHeaders: readonly string[];
  /** BILLING_REPLICAS: for the RateLimit field's estimate of what is left. */
  replicas: number;
  registry: Registry;
}

/** Sent by the shipped NGINX snippet: refusals other than 401 become 403, which auth_request understands. */
const GATEWAY_KIND_HEADER = 'x-tollgate-gateway';

const DECISION_HEADERS = {
  'x-tollgate-decision': { type: 'string', enum: DECISIONS, description: 'the decision' },
  'x-tollgate-consumer': { type: 'string', description: 'the consumer the call is attributed to, when one is known' },
  'ratelimit-policy': { type: 'string', description: 'the quota and rate-limit policies that apply (IETF RateLimit fields)' },
  ratelimit: { type: 'string', description: 'what is left of them' },
};
const refusal = (description: string) => ({ ...errorResponses({ 0: description })[0], headers: DECISION_HEADERS });
const SCHEMA = {
  tags: ['gateway'],
  summary: 'Decide whether to let a call through (ext_authz, auth_request, forward-auth)',
  description:
    'Any method. The original call is the path after /v1/authorize (Envoy ext_authz, APISIX) or the X-Original-URI / X-Forwarded-Uri, -Method and -Host headers (NGINX, Caddy, Traefik). The gateway proves itself with x-tollgate-gateway-token. With x-tollgate-gateway: nginx, refusals carry no body and every refusal but 401 is 403.',
  response: {
    200: { description: 'allow; x-tollgate-quota says why an allowed call is not counted', type: 'null', headers: { ...DECISION_HEADERS, 'x-tollgate-quota': { type: 'string' } } },
    401: refusal('unknown_consumer'),
    403: refusal('not_entitled, suspended or blocked (and, for NGINX, every refusal but unknown_consumer); forbidden: the gateway token is missing or wrong'),
    429: refusal('quota or rate; Retry-After says when to retry'),
  },
};

export const authorizeRoutes: FastifyPluginAsync<AuthorizeRoutesOptions> = async (app, o) => {
  if (o.gatewayAuth.enabled) {
    // No token configured: the check never passes (fail closed).
    const isGateway = bearerTokenCheck(o.gatewayAuth.tokens);
    app.addHook('onRequest', async (request) => {
      if (!isGateway(`Bearer ${String(request.headers['x-tollgate-gateway-token'] ?? '')}`)) throw new Forbidden('x-tollgate-gateway-token is missing or wrong');
    });
  }
  // Time inside the server per decision, from the request's arrival to the response being sent.
  const latency = new Histogram({
    name: 'tollgate_billing_authorize_seconds',
    help: 'Quota decisions (ext_authz): time in the server',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [o.registry],
  });
  app.addHook('onResponse', (_request, reply, done) => {
    latency.observe(reply.elapsedTime / 1000);
    done();
  });
  const decisions = new Counter({ name: 'tollgate_billing_decisions_total', help: 'Gateway decisions (/v1/authorize), by outcome', labelNames: ['decision'], registers: [o.registry] });
  const counted = Object.fromEntries(DECISIONS.map((d) => [d, decisions.labels(d)])) as Record<DecisionCode, Counter.Internal>;

  const authorize = async (request: FastifyRequest, reply: FastifyReply) => {
    const original = originalRequest(request.method, request.url, request.headers);
    const header = request.headers[o.consumerHeader];
    const consumerId = typeof header === 'string' && header !== '' ? header : undefined;
    const { decision, caller, policies, now } = o.policy.decide({
      method: original.method,
      host: original.host,
      path: original.uri,
      consumerId,
      apiKey: consumerId ? undefined : presentedApiKey(request.headers, o.apiKeyHeaders, original.uri),
    });
    counted[decision.decision].inc();
    const period = o.policy.period;
    const headers = answerHeaders(decision, {
      replicas: o.replicas,
      policies,
      periodSeconds: Math.round((period.end.getTime() - period.start.getTime()) / 1000),
      periodEndMs: period.end.getTime(),
      now,
    });
    if (decision.decision === 'allow') {
      // Today's hint for allowed calls without a quota: who is not counted, and why.
      if (!decision.quota) headers['x-tollgate-quota'] = caller.kind === 'anonymous' || caller.kind === 'unknown_key' ? 'anonymous' : policies ? 'unlimited' : 'unknown';
      return reply.code(200).headers(headers).send();
    }
    const nginx = request.headers[GATEWAY_KIND_HEADER] === 'nginx';
    const status = decisionStatus(decision.decision, nginx);
    // NGINX never reads an auth subrequest's body: one would make it drop the keep-alive connection
    // to billing after every refusal. The reason travels in x-tollgate-decision instead.
    if (nginx) return reply.code(status).headers(headers).send();
    return reply
      .code(status)
      .headers(headers)
      .send({ error: decision.decision, message: decision.message } satisfies ErrorBody);
  };
  app.all(AUTHORIZE_PATH, { schema: SCHEMA }, authorize);
  app.all(`${AUTHORIZE_PATH}/*`, { schema: SCHEMA }, authorize);
};
