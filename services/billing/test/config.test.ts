// Billing's gateway-decision settings from the environment, with their defaults.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TAP_SPOOL_DIR } from '@tollgate/platform';
import { billingConfigFromEnv } from '../src/config.ts';

const base = { BILLING_ADMIN_TOKENS: 'admin-token-0123456789' };

describe('billingConfigFromEnv: decisions', () => {
  it('defaults: x-api-key and apikey headers, unknown consumers by whether keys exist, one replica, the tap\'s key file', () => {
    const config = billingConfigFromEnv(base);
    expect(config.apiKeyHeaders).toEqual(['x-api-key', 'apikey']);
    expect(config.unknownConsumer).toBeUndefined();
    expect(config.replicas).toBe(1);
    expect(config.catalogFile).toBeUndefined();
    expect(config.credentialHmacKey).toEqual({ key: undefined, file: `${DEFAULT_TAP_SPOOL_DIR}/hmac.key` });
  });

  it('reads the tap\'s HMAC key the way the tap does, the catalog the way the enricher does', () => {
    const config = billingConfigFromEnv({
      ...base,
      BILLING_API_KEY_HEADERS: 'X-Key, Api-Token',
      BILLING_UNKNOWN_CONSUMER: 'allow',
      BILLING_REPLICAS: '3',
      API_CATALOG_FILE: '/etc/tollgate/catalog.json',
      TAP_SPOOL_DIR: '/var/spool/tap',
    });
    expect(config).toMatchObject({ apiKeyHeaders: ['x-key', 'api-token'], unknownConsumer: 'allow', replicas: 3, catalogFile: '/etc/tollgate/catalog.json' });
    expect(config.credentialHmacKey).toEqual({ key: undefined, file: '/var/spool/tap/hmac.key' });
    expect(billingConfigFromEnv({ ...base, TAP_HMAC_KEY: 'k'.repeat(32) }).credentialHmacKey.key).toBe('k'.repeat(32));
  });

  it('refuses values it cannot use', () => {
    expect(() => billingConfigFromEnv({ ...base, BILLING_UNKNOWN_CONSUMER: 'maybe', BILLING_REPLICAS: '0' })).toThrow(/BILLING_UNKNOWN_CONSUMER=maybe must be one of allow, deny[\s\S]*BILLING_REPLICAS/);
  });
});
