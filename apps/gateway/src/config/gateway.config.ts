import { z } from 'zod';
import {
  DEFAULT_LIMITS,
  DEFAULT_MAX_SOCKETS_PER_DEVICE,
  DEFAULT_MAX_SOCKETS_PER_USER,
  DEFAULT_RELAY_SDP_MAX_BYTES,
  DEFAULT_RELAY_STORE_MAX_BYTES,
  DEFAULT_TURN_TTL_SECONDS,
  Timeouts,
} from '#contracts';
import { appConfigShape, authConfigShape, env, requireAuthKey } from '#infra';

const urlList = (schemes: string) =>
  env.list(z.string().regex(new RegExp(`^(${schemes}):\\S+$`), `must be comma-separated ${schemes}: URLs`));

const LOOPBACK_URL = /^(stun|turns?):(localhost|127\.|\[::1\])/i;

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
    /** How long before its access token expires a socket is told to send a fresh one. */
    TOKEN_EXPIRY_WARNING_MS: env.positiveMs(Timeouts.TOKEN_EXPIRY_WARNING_MS),
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
    /** Abuse limits (docs/security.md): per socket and event class, then per caller and per pair. */
    RATE_LIMIT_LIFECYCLE: env.rateLimit(DEFAULT_LIMITS.RATE_LIMIT_LIFECYCLE),
    RATE_LIMIT_RELAY: env.rateLimit(DEFAULT_LIMITS.RATE_LIMIT_RELAY),
    RATE_LIMIT_QUALITY: env.rateLimit(DEFAULT_LIMITS.RATE_LIMIT_QUALITY),
    RATE_LIMIT_RESUME: env.rateLimit(DEFAULT_LIMITS.RATE_LIMIT_RESUME),
    RATE_LIMIT_STRIKES: env.rateLimit(DEFAULT_LIMITS.RATE_LIMIT_STRIKES),
    RATE_LIMIT_INVITE_CALLER: env.rateLimit(DEFAULT_LIMITS.RATE_LIMIT_INVITE_CALLER),
    RATE_LIMIT_INVITE_PAIR: env.rateLimit(DEFAULT_LIMITS.RATE_LIMIT_INVITE_PAIR),
    MAX_SOCKETS_PER_DEVICE: env.positiveInt(DEFAULT_MAX_SOCKETS_PER_DEVICE),
    MAX_SOCKETS_PER_USER: env.positiveInt(DEFAULT_MAX_SOCKETS_PER_USER),
    /** Replay store caps per call and recipient: all stored bytes, and the SDPs' share. */
    RELAY_STORE_MAX_BYTES: env.positiveInt(DEFAULT_RELAY_STORE_MAX_BYTES),
    RELAY_SDP_MAX_BYTES: env.positiveInt(DEFAULT_RELAY_SDP_MAX_BYTES),
  })
  .superRefine((c, ctx) => {
    requireAuthKey(c, ctx);
    if (c.DEV_TOKENS && c.NODE_ENV === 'production')
      ctx.addIssue({ code: 'custom', path: ['DEV_TOKENS'], message: 'must be off when NODE_ENV=production' });
    if (c.TURN_URLS.length > 0 && !c.TURN_SECRET)
      ctx.addIssue({ code: 'custom', path: ['TURN_SECRET'], message: 'required when TURN_URLS is set' });
    if (c.WEB_CLIENT_DIR && c.NODE_ENV === 'production')
      ctx.addIssue({ code: 'custom', path: ['WEB_CLIENT_DIR'], message: 'the reference client is for development only' });
    // These URLs go to phones, which cannot reach this machine's loopback.
    for (const key of ['STUN_URLS', 'TURN_URLS'] as const)
      if (c.NODE_ENV === 'production' && c[key].some((url) => LOOPBACK_URL.test(url)))
        ctx.addIssue({ code: 'custom', path: [key], message: 'names localhost, which phones cannot reach: use the public host name' });
    if (c.DEV_TOKENS && !c.AUTH_JWT_SECRET)
      ctx.addIssue({ code: 'custom', path: ['DEV_TOKENS'], message: 'needs AUTH_JWT_SECRET to sign demo tokens' });
  });
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
