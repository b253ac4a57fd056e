import { z } from 'zod';
import { DEFAULT_DATABASE_URL, appConfigShape, authConfigShape, env, requireAuthKey } from '#infra';
import { DEFAULT_LIMITS, DEFAULT_MAX_DEVICES_PER_USER, Timeouts } from '#contracts';

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
    /**
     * Serve the OpenAPI page at /docs and its JSON at /docs/openapi.json. Unset: on, except with
     * NODE_ENV=production, where the page would map the admin API for anyone who reaches the port.
     */
    API_DOCS: env.optionalFlag(),
    /** Registering one more device than this removes the user's least recently registered one. */
    MAX_DEVICES_PER_USER: env.positiveInt(DEFAULT_MAX_DEVICES_PER_USER),
    /** VoIP pushes (and, apart, missed-call alerts) one device gets per window; beyond it the call rings it only in the app. */
    PUSH_BUDGET_PER_DEVICE: env.rateLimit(DEFAULT_LIMITS.PUSH_BUDGET_PER_DEVICE),
    /** Quality samples received longer ago than this many days are deleted. */
    RETENTION_QUALITY_DAYS: env.positiveInt(30),
    /** Ended calls created longer ago than this many days are deleted with their timelines. */
    RETENTION_CALLS_DAYS: env.positiveInt(365),
    /** Rows one retention statement deletes: each batch is a short transaction that holds few locks. */
    RETENTION_BATCH: env.positiveInt(1000),
    /** How often each calls instance runs the retention job. */
    RETENTION_INTERVAL_MS: env.positiveMs(3_600_000),
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

export const servesApiDocs = (config: CallsConfig): boolean => config.API_DOCS ?? config.NODE_ENV !== 'production';

/** Injection token for the validated config object. */
export const CALLS_CONFIG = Symbol('CALLS_CONFIG');
