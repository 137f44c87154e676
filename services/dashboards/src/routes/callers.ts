// Who may call the query routes: every route plugin here adds one of these hooks to its own scope.
// No valid token → 401; a consumer token outside GET /v1/usage → 403.
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { Forbidden, Unauthorized, type Caller } from '@tollgate/platform';

export type Authenticate = (authorization: string | undefined) => Caller | undefined;

const callers = new WeakMap<FastifyRequest, Caller>();

/** The caller an `anyCaller` hook identified for this request. */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  if (!caller) throw new Unauthorized();
  return caller;
}

export function anyCaller(authenticate: Authenticate): onRequestAsyncHookHandler {
  return async (request) => {
    const caller = authenticate(request.headers.authorization);
    if (!caller) throw new Unauthorized();
    callers.set(request, caller);
  };
}

export function adminOnly(authenticate: Authenticate): onRequestAsyncHookHandler {
  return async (request) => {
    const caller = authenticate(request.headers.authorization);
    if (!caller) throw new Unauthorized();
    if (caller.kind !== 'admin') throw new Forbidden('consumer tokens may only read GET /v1/usage');
  };
}

/**
 * The consumer a tenant-scoped route reads: a consumer token reads its own (asking for another
 * consumer is 403); an admin token reads the one asked for (or everyone, when none is).
 */
export function scopedConsumer(caller: Caller, requested: string | undefined, what: string): string | undefined {
  if (caller.kind === 'admin') return requested;
  if (requested !== undefined && requested !== caller.consumerId) throw new Forbidden(`a consumer token reads its own ${what} only`);
  return caller.consumerId;
}
