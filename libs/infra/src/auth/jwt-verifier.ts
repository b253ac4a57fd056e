import { Logger } from '@nestjs/common';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, type JWTHeaderParameters, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { z } from 'zod';
import { AppError, DisplayName, ErrorCode, UserId } from '#contracts';
import type { AuthConfig } from './auth-config.js';

const Claims = z.object({ sub: UserId, name: DisplayName.optional() });

export interface VerifiedIdentity {
  userId: string;
  displayName: string | null;
  /** The token's `exp`, in epoch ms: a socket is closed then unless it presents a fresh token. */
  expiresAt: number;
}

/**
 * What a refused client is told: the same words whatever check failed, so a forger learns nothing
 * about which part of the token to fix. The reason goes to the log.
 */
const REJECTED = 'The token was rejected; fetch a new one.';

/** Every code `verify` refuses with: what a route that takes the identity provider's JWT documents. */
export const JWT_ERRORS = [
  ErrorCode.AUTH_TOKEN_MISSING,
  ErrorCode.AUTH_TOKEN_INVALID,
  ErrorCode.AUTH_TOKEN_EXPIRED,
  ErrorCode.AUTH_UNAVAILABLE,
] as const;

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

/**
 * Verifies the identity provider's JWTs. HS256 tokens are checked against the shared secret;
 * asymmetric ones against the PEM key or the JWKS (by kid). Issuer and audience when configured.
 */
export class JwtVerifier {
  private readonly logger = new Logger('auth');
  private readonly secret: Uint8Array | null;
  private readonly publicKey: KeyObject | null;
  private readonly jwks: JWTVerifyGetKey | null;

  constructor(private readonly config: AuthConfig) {
    this.secret = config.AUTH_JWT_SECRET ? new TextEncoder().encode(config.AUTH_JWT_SECRET) : null;
    this.publicKey = config.AUTH_JWT_PUBLIC_KEY ? createPublicKey(config.AUTH_JWT_PUBLIC_KEY) : null;
    this.jwks = config.AUTH_JWKS_URL ? createRemoteJWKSet(new URL(config.AUTH_JWKS_URL)) : null;
  }

  /**
   * `subject`: the user the token must name (a socket's refresh): any other is refused as invalid,
   * in the same words as a bad signature, and the log says why.
   */
  async verify(token: string | undefined, subject?: string): Promise<VerifiedIdentity> {
    if (!token) throw new AppError(ErrorCode.AUTH_TOKEN_MISSING, 'Connect with auth.token set to your access token.');
    try {
      const { payload } = await jwtVerify(token, this.keyFor, {
        algorithms: [...(this.secret ? ['HS256'] : []), ...(this.publicKey || this.jwks ? ASYMMETRIC : [])],
        issuer: this.config.AUTH_JWT_ISSUER,
        audience: this.config.AUTH_JWT_AUDIENCE,
        requiredClaims: ['sub', 'exp'],
      });
      const claims = Claims.safeParse(payload);
      if (!claims.success) throw this.rejected('no valid sub claim');
      if (subject !== undefined && claims.data.sub !== subject)
        throw this.rejected(`sub ${claims.data.sub} is not the signed-in user ${subject}`);
      return { userId: claims.data.sub, displayName: claims.data.name ?? null, expiresAt: payload.exp! * 1000 };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof errors.JWTExpired) throw new AppError(ErrorCode.AUTH_TOKEN_EXPIRED, 'The token has expired; fetch a new one.');
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError))
        throw new AppError(ErrorCode.AUTH_UNAVAILABLE, 'The identity provider could not be reached to check the token; retry shortly.');
      throw this.rejected(`${error.code}: ${error.message}`);
    }
  }

  private rejected(reason: string): AppError {
    this.logger.warn(`token rejected (${reason})`);
    return new AppError(ErrorCode.AUTH_TOKEN_INVALID, REJECTED);
  }

  private readonly keyFor = async (header: JWTHeaderParameters, token: Parameters<JWTVerifyGetKey>[1]) => {
    if (header.alg === 'HS256' && this.secret) return this.secret;
    if (this.publicKey) return this.publicKey;
    if (this.jwks) return this.jwks(header, token);
    throw new errors.JOSEAlgNotAllowed(`alg ${header.alg} is not accepted`);
  };
}
