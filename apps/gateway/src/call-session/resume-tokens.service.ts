import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { AppError, ErrorCode, type SocketSession } from '#contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';

const AUDIENCE = 'call-resume';

/**
 * Resume tokens: short-lived, bound to user, device and call. A token is useless to anyone but the
 * device that carried the call, and only for that call, even with a valid login of the same user.
 */
@Injectable()
export class ResumeTokens {
  /**
   * Imported once: given raw bytes, jose imports a WebCrypto key for every token, and a call signs
   * three or four of them (issue 9's profiles put token work at 5-6 % of a gateway's CPU).
   */
  private readonly key: Promise<CryptoKey>;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    const secret = new TextEncoder().encode(config.RESUME_TOKEN_SECRET);
    this.key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  async issue(userId: string, deviceId: string, callId: string): Promise<{ token: string; expiresAt: string }> {
    const expiresAt = new Date(Date.now() + this.config.RESUME_TOKEN_TTL_MS);
    // The jti: `exp` has one-second resolution, so two tokens issued within a second would otherwise
    // be byte-identical, and a client told "keep the newest" could not tell a fresh one from the last.
    const token = await new SignJWT({ dev: deviceId, call: callId })
      .setProtectedHeader({ alg: 'HS256' })
      .setJti(randomUUID())
      .setSubject(userId)
      .setAudience(AUDIENCE)
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(await this.key);
    return { token, expiresAt: expiresAt.toISOString() };
  }

  async verify(token: string, session: SocketSession, callId: string): Promise<void> {
    const refuse = (why: string) => new AppError(ErrorCode.RESUME_REFUSED, `Cannot resume this call: ${why}.`);
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(token, await this.key, { algorithms: ['HS256'], audience: AUDIENCE }));
    } catch {
      throw refuse('the resume token is invalid or expired');
    }
    if (claims.sub !== session.userId || claims.dev !== session.deviceId || claims.call !== callId)
      throw refuse('the resume token belongs to another user, device or call');
  }
}
