import { z } from 'zod';
import { DEFAULT_DATABASE_URL, appConfigShape, authConfigShape, env, requireAuthKey } from '#infra';
import { Timeouts } from '#contracts';

export const CallsConfigSchema = z
  .object({
    ...appConfigShape(3001),
    DATABASE_URL: env.url(['postgres', 'postgresql'], DEFAULT_DATABASE_URL),
    /** Shared with the gateway; protects /internal/*. */
    INTERNAL_API_TOKEN: env.secret(),
    /** Bearer token for the admin REST API (/calls). */
    ADMIN_API_TOKEN: env.secret(),
    RING_TIMEOUT_MS: env.positiveMs(Timeouts.RING_TIMEOUT_MS),
    RECONNECT_GRACE_MS: env.positiveMs(Timeouts.RECONNECT_GRACE_MS),
    MEDIA_GRACE_MS: env.positiveMs(Timeouts.MEDIA_GRACE_MS),
    CARRIER_TTL_MS: env.positiveMs(Timeouts.CARRIER_TTL_MS),
    /** The iOS app calls /devices and /calls/:id/state with the identity provider's JWT. */
    ...authConfigShape,
  })
  .superRefine(requireAuthKey);
export type CallsConfig = z.infer<typeof CallsConfigSchema>;

/** Injection token for the validated config object. */
export const CALLS_CONFIG = Symbol('CALLS_CONFIG');
