// Environment parsing shared by every service. Each service reads its whole configuration once at
// start-up through an EnvReader; every problem is collected so the operator sees all of them at once.

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

export class EnvReader {
  private readonly problems: string[] = [];

  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  required(name: string, why: string): string {
    const value = this.raw(name);
    if (value === undefined) this.problems.push(`${name} is required: ${why}`);
    return value ?? '';
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name}=${value} must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name}=${value} must be true or false`);
    return fallback;
  }

  list(name: string, fallback: string[] = []): string[] {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}=${value} must be one of ${allowed.join(', ')}`);
    return fallback;
  }

  url(name: string): URL | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    try {
      return new URL(value);
    } catch {
      this.problems.push(`${name}=${value} is not a valid URL`);
      return undefined;
    }
  }

  /** Records a problem found by a caller's own cross-field check. */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** Throws a ConfigError naming every problem found so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** Shorter tokens are guessable: they are refused at start-up rather than found in production. */
export const MIN_TOKEN_LENGTH = 16;

/** A comma-separated list of bearer tokens, each at least MIN_TOKEN_LENGTH characters. */
export function readTokens(reader: EnvReader, name: string): string[] {
  const tokens = reader.list(name);
  tokens.forEach((token, i) => {
    if (token.length < MIN_TOKEN_LENGTH) reader.problem(`${name} entry ${i + 1}: tokens must be at least ${MIN_TOKEN_LENGTH} characters`);
  });
  return tokens;
}

/**
 * Consumer tokens, `token:consumer_id,…`: each token reads its consumer's own data only. Tokens are
 * at least MIN_TOKEN_LENGTH characters and given to one consumer each.
 */
export function parseConsumerTokens(reader: EnvReader, name: string): Map<string, string> {
  const tokens = new Map<string, string>();
  reader.list(name).forEach((entry, i) => {
    const at = entry.indexOf(':');
    const token = at > 0 ? entry.slice(0, at).trim() : '';
    const consumer = at > 0 ? entry.slice(at + 1).trim() : '';
    if (token === '' || consumer === '') {
      reader.problem(`${name} entry ${i + 1} must look like token:consumer_id`);
    } else if (token.length < MIN_TOKEN_LENGTH) {
      reader.problem(`${name} entry ${i + 1} (consumer ${consumer}): the token must be at least ${MIN_TOKEN_LENGTH} characters`);
    } else if (tokens.has(token)) {
      reader.problem(`${name} entry ${i + 1}: the token is already given to consumer ${tokens.get(token)}`);
    } else {
      tokens.set(token, consumer);
    }
  });
  return tokens;
}

/** Refuses a token that is both an admin token and a consumer token (`admins`, `consumers`: the variables' names). */
export function checkTokenRoles(reader: EnvReader, adminTokens: readonly string[], consumerTokens: ReadonlyMap<string, string>, admins: string, consumers: string): void {
  for (const token of adminTokens) {
    if (consumerTokens.has(token)) reader.problem(`a token is both in ${admins} and in ${consumers} (consumer ${consumerTokens.get(token)})`);
  }
}
