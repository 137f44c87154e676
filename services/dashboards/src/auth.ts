// Who is calling: an admin token (QUERY_TOKENS) sees everything; a consumer token
// (QUERY_CONSUMER_TOKENS, token:consumer_id) sees only its own usage on GET /v1/usage.
import { bearerTokenCheck, type TokenCheck } from '@tollgate/platform';

export type Caller = { kind: 'admin' } | { kind: 'consumer'; consumerId: string };

export function createAuthenticator(adminTokens: readonly string[], consumerTokens: ReadonlyMap<string, string>): (authorization: string | undefined) => Caller | undefined {
  const isAdmin = bearerTokenCheck(adminTokens);
  const consumers: [TokenCheck, string][] = [...consumerTokens].map(([token, consumerId]) => [bearerTokenCheck([token]), consumerId]);
  return (authorization) => {
    const admin = isAdmin(authorization);
    // Every consumer token is compared (constant time, no early exit), whichever matches.
    let consumerId: string | undefined;
    for (const [check, id] of consumers) if (check(authorization)) consumerId = id;
    if (admin) return { kind: 'admin' };
    return consumerId === undefined ? undefined : { kind: 'consumer', consumerId };
  };
}
