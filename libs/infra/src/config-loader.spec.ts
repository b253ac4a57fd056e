import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { DEFAULT_LIMITS } from '#contracts';
import { CallsConfigSchema, servesApiDocs } from '../../../apps/calls/src/config/calls.config.js';
import { GatewayConfigSchema } from '../../../apps/gateway/src/config/gateway.config.js';
import { ConfigError, PRODUCTION_SECRET_MIN_LENGTH, colorsWanted, isExampleSecret, loadConfig } from './config-loader.js';

const valid = { INTERNAL_API_TOKEN: 'x'.repeat(20), AUTH_JWT_SECRET: 'y'.repeat(32), RESUME_TOKEN_SECRET: 'z'.repeat(32) };

function problems(env: Record<string, string>, schema: Parameters<typeof loadConfig>[0] = GatewayConfigSchema): string {
  try {
    loadConfig(schema, env);
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

  it('reads a rate limit as points/seconds, defaults it from libs/contracts, and names a bad one', () => {
    expect(loadConfig(GatewayConfigSchema, valid).RATE_LIMIT_RELAY).toEqual(DEFAULT_LIMITS.RATE_LIMIT_RELAY);
    expect(loadConfig(GatewayConfigSchema, { ...valid, RATE_LIMIT_RELAY: '500/2' }).RATE_LIMIT_RELAY).toEqual({ points: 500, seconds: 2 });
    expect(problems({ ...valid, RATE_LIMIT_RELAY: '500' })).toContain('RATE_LIMIT_RELAY');
    expect(problems({ ...valid, RATE_LIMIT_INVITE_PAIR: '0/60' })).toContain('RATE_LIMIT_INVITE_PAIR');
    expect(loadConfig(CallsConfigSchema, { ...valid, ADMIN_API_TOKEN: 'a'.repeat(20) }).PUSH_BUDGET_PER_DEVICE).toEqual(
      DEFAULT_LIMITS.PUSH_BUDGET_PER_DEVICE,
    );
  });

  it('takes a Redis Cluster as a list of seed nodes, and no list as a single Redis', () => {
    expect(loadConfig(GatewayConfigSchema, valid).REDIS_CLUSTER_NODES).toEqual([]);
    const config = loadConfig(GatewayConfigSchema, { ...valid, REDIS_CLUSTER_NODES: 'redis://10.0.0.1:6379, redis://10.0.0.2:6379' });
    expect(config.REDIS_CLUSTER_NODES).toEqual(['redis://10.0.0.1:6379', 'redis://10.0.0.2:6379']);
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
    [
      { ...valid, NODE_ENV: 'production', TURN_SECRET: 't'.repeat(32), TURN_URLS: 'turn:turn.example.com:3478,turn:localhost:3478' },
      /TURN_URLS: names localhost, which phones cannot reach/,
    ],
    [{ ...valid, REDIS_CLUSTER_NODES: 'redis://10.0.0.1:6379,http://10.0.0.2:6379' }, /REDIS_CLUSTER_NODES\.1:/],
  ])('names the variable that is wrong: %j', (env, message) => {
    expect(problems(env)).toMatch(message);
  });
});

describe('log colours', () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '1', FORCE_COLOR: '1' }, true, false],
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
  ])('with %j and a terminal: %s, colours: %s', (env, isTTY, expected) => {
    expect(colorsWanted(env, isTTY)).toBe(expected);
  });
});

const strong = (c: string) => c.repeat(PRODUCTION_SECRET_MIN_LENGTH);
const production = {
  NODE_ENV: 'production',
  INTERNAL_API_TOKEN: strong('i'),
  ADMIN_API_TOKEN: strong('a'),
  AUTH_JWT_SECRET: strong('j'),
  RESUME_TOKEN_SECRET: strong('r'),
};

describe('a production deployment', () => {
  it.each([
    ['gateway', GatewayConfigSchema],
    ['calls', CallsConfigSchema],
  ])('of %s starts with long random secrets', (_app, schema) => {
    expect(() => loadConfig(schema, production)).not.toThrow();
  });

  it.each([
    ['gateway', GatewayConfigSchema, 'INTERNAL_API_TOKEN'],
    ['calls', CallsConfigSchema, 'ADMIN_API_TOKEN'],
  ])('of %s refuses a secret copied from the repo, or one too short, naming it', (_app, schema, name) => {
    expect(problems({ ...production, [name]: 'change-me-this-is-a-32-byte-minimum-secret' }, schema)).toMatch(
      new RegExp(`${name}: is an example value`),
    );
    expect(problems({ ...production, [name]: 'x'.repeat(PRODUCTION_SECRET_MIN_LENGTH - 1) }, schema)).toMatch(
      new RegExp(`${name}: must be at least ${PRODUCTION_SECRET_MIN_LENGTH} characters in production`),
    );
  });

  it('hides the OpenAPI page of the admin API unless it is turned on', () => {
    expect(servesApiDocs(loadConfig(CallsConfigSchema, production))).toBe(false);
    expect(servesApiDocs(loadConfig(CallsConfigSchema, { ...production, API_DOCS: 'true' }))).toBe(true);
    expect(servesApiDocs(loadConfig(CallsConfigSchema, { ...production, NODE_ENV: 'development' }))).toBe(true);
  });

  it('is the only place the rule applies: development takes the compose defaults as they are', () => {
    expect(() =>
      loadConfig(CallsConfigSchema, { ...production, NODE_ENV: 'development', ADMIN_API_TOKEN: 'change-me-admin-token' }),
    ).not.toThrow();
  });
});

describe('every example secret the repo ships', () => {
  const root = new URL('../../../', import.meta.url);
  const files = [
    ...readdirSync(root).filter((f) => /^docker-compose.*\.ya?ml$|^README\.md$|\.env(\..*)?\.example$|^\.env\.example$/.test(f)),
    ...readdirSync(new URL('docs/', root)).map((f) => `docs/${f}`),
  ];
  // NAME=value, NAME: value and ${NAME:-value}, for every NAME the secret rule covers; a value that
  // is itself an expansion or a command ($..., <...>) is not a literal anyone could copy.
  const examples = files.flatMap((file) =>
    [...readFileSync(new URL(file, root), 'utf8').matchAll(/\b([A-Z][A-Z0-9_]*_(?:SECRET|TOKEN))(?::-|=|: )([A-Za-z0-9._~+/-]{4,})/g)].map(
      ([, name, value]) => ({ file, name: name!, value: value! }),
    ),
  );

  it('is found (the scan reads the compose file)', () => {
    expect(examples.some((e) => e.file.startsWith('docker-compose'))).toBe(true);
  });

  it('is refused in production', () => {
    expect(examples.filter((e) => !isExampleSecret(e.value))).toEqual([]);
  });
});
