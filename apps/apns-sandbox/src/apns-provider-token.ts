import type { KeyObject } from 'node:crypto';
import { compactVerify, decodeJwt, decodeProtectedHeader } from 'jose';
import type { ApnsFailure } from './apns-failure.js';
import type { ApnsJwtClaims } from './apns-recorded-request.js';

export interface ProviderTokenRules {
  readonly keyId: string;
  readonly teamId: string;
  readonly publicKey: KeyObject;
}

export interface ProviderTokenCheck {
  readonly jwt: ApnsJwtClaims | null;
  readonly failure: ApnsFailure | null;
}

/** Apple rejects a provider token whose `iat` is more than one hour old. */
const MAX_TOKEN_AGE_S = 3600;
/**
 * Apple does not document a future-`iat` rule; the sandbox allows five minutes of skew and rejects
 * the rest, because `iat` in milliseconds (Date.now()) is the classic hand-rolled-JWT bug.
 */
const MAX_FUTURE_SKEW_S = 300;

const missing: ApnsFailure = { status: 403, reason: 'MissingProviderToken' };
const invalid: ApnsFailure = { status: 403, reason: 'InvalidProviderToken' };
const expired: ApnsFailure = { status: 403, reason: 'ExpiredProviderToken' };

export async function checkProviderToken(
  authorization: string | undefined,
  rules: ProviderTokenRules,
  nowSeconds: number,
): Promise<ProviderTokenCheck> {
  const match = /^bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return { jwt: null, failure: missing };
  const token = match[1];
  const jwt = decodeClaims(token);
  if (!jwt) return { jwt: null, failure: invalid };
  try {
    // Signature only: Apple's tokens carry no exp/nbf, and the claims below are checked by hand.
    await compactVerify(token, rules.publicKey, { algorithms: ['ES256'] });
  } catch {
    return { jwt, failure: invalid };
  }
  if (jwt.kid !== rules.keyId || jwt.iss !== rules.teamId) return { jwt, failure: invalid };
  if (jwt.iat === null || jwt.iat > nowSeconds + MAX_FUTURE_SKEW_S) return { jwt, failure: invalid };
  if (nowSeconds - jwt.iat > MAX_TOKEN_AGE_S) return { jwt, failure: expired };
  return { jwt, failure: null };
}

function decodeClaims(token: string): ApnsJwtClaims | null {
  try {
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    return {
      kid: typeof header.kid === 'string' ? header.kid : null,
      iss: typeof claims.iss === 'string' ? claims.iss : null,
      iat: typeof claims.iat === 'number' ? claims.iat : null,
    };
  } catch {
    return null;
  }
}
