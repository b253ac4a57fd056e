import { z } from 'zod';
import { Timeouts } from '#contracts';
import { DEFAULT_REDIS_URL, authConfigShape, env, requireAuthKey } from '#infra';

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
    ...authConfigShape,
    /** Development only: POST /dev/tokens mints HS256 tokens for demo users. */
    DEV_TOKENS: env.flag(false),
    CORS_ORIGINS: z.string().default(''),
    LOG_FORMAT: env.logFormat(),
  })
  .superRefine((c, ctx) => {
    requireAuthKey(c, ctx);
    if (c.DEV_TOKENS && c.NODE_ENV === 'production')
      ctx.addIssue({ code: 'custom', path: ['DEV_TOKENS'], message: 'must be off when NODE_ENV=production' });
    if (c.DEV_TOKENS && !c.AUTH_JWT_SECRET)
      ctx.addIssue({ code: 'custom', path: ['DEV_TOKENS'], message: 'needs AUTH_JWT_SECRET to sign demo tokens' });
  });
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
