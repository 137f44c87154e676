// Bearer-token checks in constant time. Tokens are compared as SHA-256 digests so neither the
// length nor the content of a configured token leaks through timing. Also who a token names: an
// admin, or one consumer (consumer tokens, token:consumer_id, read that consumer's own data only;
// the dashboards' /v1/usage and billing's invoice preview).
import { createHash, timingSafeEqual } from 'node:crypto';

export type TokenCheck = (authorization: string | undefined) => boolean;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

export function bearerTokenCheck(tokens: readonly string[]): TokenCheck {
  const expected = tokens.map(digest);
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return false;
    const presented = digest(match[1] as string);
    // Compare against every token, without an early exit, so timing does not tell which matched.
    let ok = false;
    for (const token of expected) ok = timingSafeEqual(presented, token) || ok;
    return ok;
  };
}

/** An admin token sees everything; a consumer token only its consumer's own data. */
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
