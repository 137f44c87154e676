// Bearer-token auth for a group of routes: an onRequest hook that a route plugin adds to its own
// (encapsulated) scope, so it guards exactly the routes registered beside it. A missing or wrong
// token throws Unauthorized; the error handler answers 401 with WWW-Authenticate: Bearer.
import type { onRequestAsyncHookHandler } from 'fastify';
import { bearerTokenCheck } from '../auth.ts';
import { Unauthorized } from './errors.ts';

export function requireBearer(tokens: readonly string[]): onRequestAsyncHookHandler {
  const isValid = bearerTokenCheck(tokens);
  return async (request) => {
    if (!isValid(request.headers.authorization)) throw new Unauthorized();
  };
}
