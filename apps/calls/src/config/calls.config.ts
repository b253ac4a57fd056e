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
    /** An answered call whose media never connects ends as `failed` after this long. */
    CONNECT_TIMEOUT_MS: env.positiveMs(Timeouts.CONNECT_TIMEOUT_MS),
    /** How often to look for calls past a deadline. */
    DEADLINE_CHECK_MS: env.positiveMs(Timeouts.DEADLINE_CHECK_MS),
    /** Tests only (see FaultPoints): a file that arms a kill between a commit and its publish. */
    FAULT_AFTER_COMMIT_FILE: z.string().min(1).optional(),
    /** The iOS app calls /devices and /calls/:id/state with the identity provider's JWT. */
    ...authConfigShape,
  })
  .superRefine((c, ctx) => {
    requireAuthKey(c, ctx);
    if (c.FAULT_AFTER_COMMIT_FILE && c.NODE_ENV !== 'test')
      ctx.addIssue({ code: 'custom', path: ['FAULT_AFTER_COMMIT_FILE'], message: 'is for tests only (NODE_ENV=test)' });
  });
export type CallsConfig = z.infer<typeof CallsConfigSchema>;

/** Injection token for the validated config object. */
export const CALLS_CONFIG = Symbol('CALLS_CONFIG');
