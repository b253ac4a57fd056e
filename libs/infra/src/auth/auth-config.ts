import { z } from 'zod';
import { env } from '../config-loader.js';

/** How apps that authenticate users (gateway sockets, calls REST) learn the identity provider's keys. */
export const authConfigShape = {
  /** HS256 shared secret of the identity provider. */
  // Blank counts as unset: the production compose file passes all three, and one of them is set.
  AUTH_JWT_SECRET: env.optional(env.secret(32)),
  /** PEM public key (RS256/ES256/EdDSA…) of the identity provider. */
  AUTH_JWT_PUBLIC_KEY: env.optional(z.string().includes('BEGIN PUBLIC KEY', { message: 'must be a PEM public key' })),
  /** JWKS endpoint of the identity provider; keys are fetched and cached by kid. */
  AUTH_JWKS_URL: env.optional(env.url(['http', 'https'])),
  AUTH_JWT_ISSUER: z.string().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().min(1).optional(),
};
const AuthConfigSchema = z.object(authConfigShape);
export type AuthConfig = z.infer<typeof AuthConfigSchema>;

export function requireAuthKey(config: AuthConfig, ctx: z.RefinementCtx): void {
  if (!config.AUTH_JWT_SECRET && !config.AUTH_JWT_PUBLIC_KEY && !config.AUTH_JWKS_URL)
    ctx.addIssue({ code: 'custom', path: ['AUTH_JWT_SECRET'], message: 'set AUTH_JWT_SECRET, AUTH_JWT_PUBLIC_KEY or AUTH_JWKS_URL' });
}
