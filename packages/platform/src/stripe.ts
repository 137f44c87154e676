/**
 * Stripe client factory.
 *
 * Production talks to api.stripe.com with STRIPE_SECRET_KEY. Local runs and tests point the
 * client at stripe-mock (or the recording proxy in test/harness/stripe-proxy.ts) through
 * STRIPE_API_BASE, e.g. `http://127.0.0.1:12111`.
 */
import Stripe from 'stripe';

export interface StripeSettings {
  secretKey: string;
  /** Origin of the Stripe API (protocol, host, port only). Unset = api.stripe.com. */
  apiBase?: URL;
}

/** Key used against stripe-mock when STRIPE_API_BASE is set and STRIPE_SECRET_KEY is not. */
export const STRIPE_MOCK_SECRET_KEY = 'sk_test_123';

const SECRET_KEY_RE = /^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/;

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function parseApiBase(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(
      `STRIPE_API_BASE is not a valid URL: ${JSON.stringify(raw)} (expected e.g. http://127.0.0.1:12111)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`STRIPE_API_BASE must use http: or https:, got ${JSON.stringify(url.protocol)}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new Error('STRIPE_API_BASE must not contain credentials; use STRIPE_SECRET_KEY');
  }
  // The stripe client only takes protocol/host/port; a path prefix would be silently dropped.
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    throw new Error(
      `STRIPE_API_BASE must be an origin only (protocol, host, port), got ${JSON.stringify(raw)}`,
    );
  }
  return new URL(url.origin);
}

/**
 * Reads STRIPE_SECRET_KEY and STRIPE_API_BASE.
 *
 * - STRIPE_API_BASE set, STRIPE_SECRET_KEY unset: key defaults to `sk_test_123` (stripe-mock).
 * - Neither set: throws.
 */
export function stripeSettingsFromEnv(env: NodeJS.ProcessEnv): StripeSettings {
  const rawBase = envValue(env, 'STRIPE_API_BASE');
  const rawKey = envValue(env, 'STRIPE_SECRET_KEY');

  if (rawBase === undefined && rawKey === undefined) {
    throw new Error(
      'STRIPE_SECRET_KEY is not set (set STRIPE_SECRET_KEY=sk_..., or STRIPE_API_BASE=http://127.0.0.1:12111 for stripe-mock)',
    );
  }

  const apiBase = rawBase === undefined ? undefined : parseApiBase(rawBase);
  const secretKey = rawKey ?? STRIPE_MOCK_SECRET_KEY;
  if (!SECRET_KEY_RE.test(secretKey)) {
    // Do not echo the value: it may be a real (if malformed) secret.
    throw new Error(
      'STRIPE_SECRET_KEY is invalid: expected a secret or restricted key (sk_test_..., sk_live_..., rk_...)',
    );
  }

  return apiBase === undefined ? { secretKey } : { secretKey, apiBase };
}

export function createStripeClient(
  settings: StripeSettings,
  opts: { maxNetworkRetries?: number; timeoutMs?: number } = {},
): Stripe {
  const config: Stripe.StripeConfig = {
    maxNetworkRetries: opts.maxNetworkRetries ?? 2,
    timeout: opts.timeoutMs ?? 30_000,
  };
  if (settings.apiBase !== undefined) {
    const base = settings.apiBase;
    const protocol = base.protocol === 'http:' ? 'http' : 'https';
    config.protocol = protocol;
    config.host = base.hostname.replace(/^\[(.*)\]$/, '$1'); // strip IPv6 brackets
    config.port = base.port !== '' ? Number(base.port) : protocol === 'http' ? 80 : 443;
    // No usage telemetry headers towards a mock / local endpoint.
    config.telemetry = false;
  }
  return new Stripe(settings.secretKey, config);
}
