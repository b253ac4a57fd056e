import { z } from 'zod';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, authConfigShape, env, requireAuthKey } from '#infra';
import { Timeouts } from '#contracts';

export const CallsConfigSchema = z
  .object({
  NODE_ENV: env.nodeEnv(),
  PORT: env.port(3001),
  HOST: z.string().default('127.0.0.1'),
  DATABASE_URL: env.url(['postgres', 'postgresql'], DEFAULT_DATABASE_URL),
  REDIS_URL: env.url(['redis', 'rediss'], DEFAULT_REDIS_URL),
  REDIS_PREFIX: env.redisPrefix(),
  /** Shared with the gateway; protects /internal/*. */
  INTERNAL_API_TOKEN: env.secret(),
  /** Bearer token for the admin REST API (/calls). */
  ADMIN_API_TOKEN: env.secret(),
  RING_TIMEOUT_MS: env.positiveMs(Timeouts.RING_TIMEOUT_MS),
  RECONNECT_GRACE_MS: env.positiveMs(Timeouts.RECONNECT_GRACE_MS),
  MEDIA_GRACE_MS: env.positiveMs(Timeouts.MEDIA_GRACE_MS),
  CARRIER_TTL_MS: env.positiveMs(Timeouts.CARRIER_TTL_MS),
  LOG_FORMAT: env.logFormat(),
  /** The iOS app calls /devices and /calls/:id/state with the identity provider's JWT. */
  ...authConfigShape,
})
  .superRefine(requireAuthKey);
export type CallsConfig = z.infer<typeof CallsConfigSchema>;

/** Injection token for the validated config object. */
export const CALLS_CONFIG = Symbol('CALLS_CONFIG');
