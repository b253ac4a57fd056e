import { z } from 'zod';
import { Timeouts } from '#contracts';
import { DEFAULT_REDIS_URL, env } from '#infra';

const optional = (schema: z.ZodType<string>) => schema.optional();

export const GatewayConfigSchema = z
  .object({
    NODE_ENV: env.nodeEnv(),
    PORT: env.port(3000),
    HOST: z.string().default('127.0.0.1'),
    REDIS_URL: env.url(['redis', 'rediss'], DEFAULT_REDIS_URL),
    REDIS_PREFIX: env.redisPrefix(),
    /** Base URL of the calls app (or of the balancer in front of its instances). */
    CALLS_URL: env.url(['http', 'https'], 'http://127.0.0.1:3001'),
    CALLS_REQUEST_TIMEOUT_MS: env.positiveMs(Timeouts.CALLS_REQUEST_TIMEOUT_MS),
    INTERNAL_API_TOKEN: env.secret(),
    /** HS256 shared secret of the identity provider. */
    AUTH_JWT_SECRET: optional(env.secret(32)),
    /** PEM public key (RS256/ES256/EdDSA…) of the identity provider. */
    AUTH_JWT_PUBLIC_KEY: optional(z.string().includes('BEGIN PUBLIC KEY', { message: 'must be a PEM public key' })),
    /** JWKS endpoint of the identity provider; keys are fetched and cached by kid. */
    AUTH_JWKS_URL: optional(env.url(['http', 'https'])),
    AUTH_JWT_ISSUER: z.string().min(1).optional(),
    AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
    /** Development only: POST /dev/tokens mints HS256 tokens for demo users. */
    DEV_TOKENS: env.flag(false),
    CORS_ORIGINS: z.string().default(''),
    LOG_FORMAT: env.logFormat(),
  })
  .superRefine((c, ctx) => {
    if (!c.AUTH_JWT_SECRET && !c.AUTH_JWT_PUBLIC_KEY && !c.AUTH_JWKS_URL)
      ctx.addIssue({ code: 'custom', path: ['AUTH_JWT_SECRET'], message: 'set AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL' });
    if (c.DEV_TOKENS && c.NODE_ENV === 'production')
      ctx.addIssue({ code: 'custom', path: ['DEV_TOKENS'], message: 'must be off when NODE_ENV=production' });
    if (c.DEV_TOKENS && !c.AUTH_JWT_SECRET)
      ctx.addIssue({ code: 'custom', path: ['DEV_TOKENS'], message: 'needs AUTH_JWT_SECRET to sign demo tokens' });
  });
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
