// Bearer-token checks in constant time. Tokens are compared as SHA-256 digests so neither the
// length nor the content of a configured token leaks through timing.
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
