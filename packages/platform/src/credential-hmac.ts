// The keyed HMAC that stands in for a credential (an API key, a bearer token) wherever Tollgate
// stores or compares one. The tap puts it on events (credential_hmac), the registry stores API keys
// only in this form, and billing looks presented keys up by it: all three must use the same key, so
// the key is read or created here and nowhere else.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EnvReader } from './config.ts';

/** HMAC-SHA256 of a credential under `key`, lower-case hex. */
export function credentialHmac(key: string): (credential: string) => string {
  return (credential) => createHmac('sha256', key).update(credential).digest('hex');
}

/**
 * The configured key, or the one kept in `file` (created with a random key, readable by the owner
 * only, the first time). Several processes on one machine share a key through the file.
 */
export async function resolveCredentialHmacKey(configured: string | undefined, file: string): Promise<string> {
  if (configured) return configured;
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const key = randomBytes(32).toString('hex');
    // 'wx': when another process created the file first, its key is the one to use.
    try {
      await writeFile(file, key, { mode: 0o600, flag: 'wx' });
      return key;
    } catch {
      return (await readFile(file, 'utf8')).trim();
    }
  }
}

/** The tap's spool folder when TAP_SPOOL_DIR is unset: where the generated key lives on one machine. */
export const DEFAULT_TAP_SPOOL_DIR = fileURLToPath(new URL('../../../.local/tap-spool', import.meta.url));

export interface CredentialHmacKeySource {
  /** TAP_HMAC_KEY, when set. */
  key: string | undefined;
  /** <TAP_SPOOL_DIR>/hmac.key: the key the tap generated when none is configured. */
  file: string;
}

/**
 * Where the credential HMAC key comes from, by the tap's own variables, so billing and the
 * consumers CLI find the key the tap uses (TAP_HMAC_KEY, or the file in the tap's spool folder).
 */
export function credentialHmacKeyFromEnv(r: EnvReader): CredentialHmacKeySource {
  return { key: r.string('TAP_HMAC_KEY'), file: join(r.string('TAP_SPOOL_DIR', DEFAULT_TAP_SPOOL_DIR), 'hmac.key') };
}
