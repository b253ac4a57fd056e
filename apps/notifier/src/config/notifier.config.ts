import { z } from 'zod';
import { appConfigShape, env } from '#infra';

export const NotifierConfigSchema = z
  .object({
    ...appConfigShape(3002),
    /** Apple Developer → Keys: the 10-character id of the APNs auth key (.p8). */
    APNS_KEY_ID: z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character key id'),
    /** Apple Developer team id (10 characters). */
    APNS_TEAM_ID: z.string().regex(/^[A-Z0-9]{10}$/, 'must be the 10-character team id'),
    /** Path of the .p8 auth key file (PEM, ES256). */
    APNS_KEY_FILE: z.string().min(1),
    /**
     * Send every push here instead of Apple's hosts (the APNs sandbox in development and tests).
     * Unset in production: devices then pick api.push.apple.com or api.sandbox.push.apple.com.
     */
    APNS_ENDPOINT: env.optional(env.url(['https'])),
    /** PEM CA that signs APNS_ENDPOINT's certificate (the sandbox's self-signed one). */
    APNS_CA_FILE: env.optional(z.string().min(1)),
    /** Budget of one APNs request, enforced on each stream; keep it well below the ring time. */
    APNS_REQUEST_TIMEOUT_MS: env.positiveMs(4000),
  })
  .superRefine((c, ctx) => {
    if (c.APNS_CA_FILE && !c.APNS_ENDPOINT)
      ctx.addIssue({ code: 'custom', path: ['APNS_CA_FILE'], message: 'only applies with APNS_ENDPOINT' });
  });
export type NotifierConfig = z.infer<typeof NotifierConfigSchema>;

export const NOTIFIER_CONFIG = Symbol('NOTIFIER_CONFIG');
