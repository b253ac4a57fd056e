import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

export interface ProviderTokenClaims {
  readonly keyId: string;
  readonly teamId: string;
  /** Seconds since the epoch; default now. */
  readonly iat?: number;
}

/** Signs an APNs provider token the way Apple specifies: ES256, `kid` header, `iss` and `iat` claims only. */
export function signProviderToken(privateKey: KeyObject, claims: ProviderTokenClaims): Promise<string> {
  return new SignJWT({ iss: claims.teamId })
    .setProtectedHeader({ alg: 'ES256', kid: claims.keyId })
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
    .sign(privateKey);
}
