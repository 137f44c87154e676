// The tap's bearer tokens, each with a name: which token a request came with is stamped on every
// event it produced (tap_token), so that usage written with a token can be traced to it. Parsed
// from TAP_TOKENS (`name:token,…`; a bare token is named by its position, token-1, token-2, …);
// checked in constant time, as @tollgate/platform's bearerTokenCheck checks unnamed ones.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface TapToken {
  name: string;
  token: string;
}

/** Shorter tokens are refused at start-up: a token is all that stands between anyone and usage writes. */
export const MIN_TAP_TOKEN_LENGTH = 16;
const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** TAP_TOKENS entries as named tokens, and the problems found (each naming TAP_TOKENS). */
export function parseTapTokens(entries: readonly string[]): { tokens: TapToken[]; problems: string[] } {
  const tokens: TapToken[] = [];
  const problems: string[] = [];
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const name = colon >= 0 ? entry.slice(0, colon).trim() : `token-${index + 1}`;
    const token = colon >= 0 ? entry.slice(colon + 1).trim() : entry;
    if (!NAME.test(name)) problems.push(`TAP_TOKENS entry ${index + 1}: the name "${name.slice(0, 70)}" must be 1-64 of A-Z a-z 0-9 . _ -`);
    else if (tokens.some((t) => t.name === name)) problems.push(`TAP_TOKENS entry ${index + 1}: the name "${name}" is used twice`);
    if (token.length < MIN_TAP_TOKEN_LENGTH) problems.push(`TAP_TOKENS entry ${index + 1} (${name}): the token must be at least ${MIN_TAP_TOKEN_LENGTH} characters, got ${token.length}`);
    tokens.push({ name, token });
  });
  return { tokens, problems };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The name of the token an Authorization header presents, or undefined when it presents none of them. */
export function tapTokenCheck(tokens: readonly TapToken[]): (authorization: string | undefined) => string | undefined {
  const expected = tokens.map((t) => ({ name: t.name, digest: digest(t.token) }));
  return (authorization) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return undefined;
    const presented = digest(match[1] as string);
    // Every token is compared, without an early exit, so timing does not tell which matched.
    let name: string | undefined;
    for (const token of expected) if (timingSafeEqual(presented, token.digest)) name = token.name;
    return name;
  };
}
