import { describe, expect, it } from '@jest/globals';
import { GatewayConfigSchema } from '../../../apps/gateway/src/config/gateway.config.js';
import { ConfigError, loadConfig } from './config-loader.js';

const valid = { INTERNAL_API_TOKEN: 'x'.repeat(20), AUTH_JWT_SECRET: 'y'.repeat(32), RESUME_TOKEN_SECRET: 'z'.repeat(32) };

function problems(env: Record<string, string>): string {
  try {
    loadConfig(GatewayConfigSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('config was accepted');
}

describe('boot-time configuration', () => {
  it('accepts a valid environment and fills in defaults', () => {
    const config = loadConfig(GatewayConfigSchema, valid);
    expect(config).toMatchObject({ PORT: 3000, CALLS_URL: 'http://127.0.0.1:3001', DEV_TOKENS: false, REDIS_PREFIX: 'vc:' });
  });

  it.each([
    [{ AUTH_JWT_SECRET: valid.AUTH_JWT_SECRET }, /INTERNAL_API_TOKEN: .*\(not set\)/],
    [{ ...valid, PORT: 'eighty' }, /PORT:/],
    [{ ...valid, REDIS_URL: 'http://nope' }, /REDIS_URL:/],
    [
      { INTERNAL_API_TOKEN: valid.INTERNAL_API_TOKEN, RESUME_TOKEN_SECRET: valid.RESUME_TOKEN_SECRET },
      /AUTH_JWT_SECRET: set AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL/,
    ],
    [{ ...valid, AUTH_JWT_SECRET: 'short' }, /AUTH_JWT_SECRET: must be at least 32 characters/],
    [{ ...valid, DEV_TOKENS: 'true', NODE_ENV: 'production' }, /DEV_TOKENS: must be off when NODE_ENV=production/],
    [{ ...valid, DEV_TOKENS: 'yes' }, /DEV_TOKENS:/],
    [{ ...valid, TURN_URLS: 'turn:127.0.0.1:3478' }, /TURN_SECRET: required when TURN_URLS is set/],
    [{ ...valid, STUN_URLS: 'http://example.test' }, /STUN_URLS/],
  ])('names the variable that is wrong: %j', (env, message) => {
    expect(problems(env)).toMatch(message);
  });
});
