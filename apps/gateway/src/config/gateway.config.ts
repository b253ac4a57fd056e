import { z } from 'zod';
import { DEFAULT_TURN_TTL_SECONDS, Timeouts } from '#contracts';
import { appConfigShape, authConfigShape, env, requireAuthKey } from '#infra';

const urlList = (schemes: string) =>
  z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(new RegExp(`^(${schemes}):\\S+$`), `must be comma-separated ${schemes}: URLs`)));

export const GatewayConfigSchema = z
  .object({
    ...appConfigShape(3000),
    /** Base URL of the calls app (or of the balancer in front of its instances). */
    CALLS_URL: env.url(['http', 'https'], 'http://127.0.0.1:3001'),
    CALLS_REQUEST_TIMEOUT_MS: env.positiveMs(Timeouts.CALLS_REQUEST_TIMEOUT_MS),
    INTERNAL_API_TOKEN: env.secret(),
    ...authConfigShape,
    /** Development only: POST /dev/tokens mints HS256 tokens for demo users. */
    DEV_TOKENS: env.flag(false),
    CORS_ORIGINS: z.string().default(''),
    /** Development: serve the web reference client (the bundle in this folder) at /. */
    WEB_CLIENT_DIR: z.string().min(1).optional(),
    /** Signs resume tokens; shared by every gateway node so a call resumes on any of them. */
    RESUME_TOKEN_SECRET: env.secret(32),
    RESUME_TOKEN_TTL_MS: env.positiveMs(Timeouts.RESUME_TOKEN_TTL_MS),
    CARRIER_TTL_MS: env.positiveMs(Timeouts.CARRIER_TTL_MS),
    /** Socket.IO heartbeat: how soon a silent (half-open) socket is noticed and closed. */
    PING_INTERVAL_MS: env.positiveMs(Timeouts.PING_INTERVAL_MS),
    PING_TIMEOUT_MS: env.positiveMs(Timeouts.PING_TIMEOUT_MS),
    /** Comma-separated stun: URLs given to clients. */
    STUN_URLS: urlList('stun'),
    /** Comma-separated turn:/turns: URLs; needs TURN_SECRET (coturn's static-auth-secret). */
    TURN_URLS: urlList('turn|turns'),
    TURN_SECRET: env.secret(16).optional(),
    TURN_TTL_SECONDS: z.coerce.number().int().positive().default(DEFAULT_TURN_TTL_SECONDS),
  })
  .superRefine((c, ctx) => {
    requireAuthKey(c, ctx);
    if (c.DEV_TOKENS && c.NODE_ENV === 'production')
      ctx.addIssue({ code: 'custom', path: ['DEV_TOKENS'], message: 'must be off when NODE_ENV=production' });
    if (c.TURN_URLS.length > 0 && !c.TURN_SECRET)
      ctx.addIssue({ code: 'custom', path: ['TURN_SECRET'], message: 'required when TURN_URLS is set' });
    if (c.WEB_CLIENT_DIR && c.NODE_ENV === 'production')
      ctx.addIssue({ code: 'custom', path: ['WEB_CLIENT_DIR'], message: 'the reference client is for development only' });
    if (c.DEV_TOKENS && !c.AUTH_JWT_SECRET)
      ctx.addIssue({ code: 'custom', path: ['DEV_TOKENS'], message: 'needs AUTH_JWT_SECRET to sign demo tokens' });
  });
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
