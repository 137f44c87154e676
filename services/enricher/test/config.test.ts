// The enricher's configuration refuses guessable admin tokens at start-up, naming the variable.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@tollgate/platform';
import { enricherConfigFromEnv } from '../src/config.ts';

describe('enricher config', () => {
  it('refuses ENRICHER_ADMIN_TOKENS shorter than 16 characters', () => {
    expect(enricherConfigFromEnv({ ENRICHER_ADMIN_TOKENS: 'admin-token-0123456789' }).adminTokens).toEqual(['admin-token-0123456789']);
    expect(() => enricherConfigFromEnv({ ENRICHER_ADMIN_TOKENS: 'admin-token' })).toThrow(ConfigError);
    expect(() => enricherConfigFromEnv({ ENRICHER_ADMIN_TOKENS: 'admin-token' })).toThrow(/ENRICHER_ADMIN_TOKENS entry 1: tokens must be at least 16 characters/);
  });
});
