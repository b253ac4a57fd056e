import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import { AppError, ErrorCode, type SocketSession } from '#contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';

const AUDIENCE = 'call-resume';

interface ResumeClaims {
  sub: string;
  dev: string;
  call: string;
}

/**
 * Resume tokens: short-lived, bound to user, device and call. A token is useless to anyone but the
 * device that carried the call, and only for that call, even with a valid login of the same user.
 *
 * HS256 JWTs through fast-jwt, which signs with node:crypto in the caller's turn: a call signs four,
 * and jose's WebCrypto path cost about 100 µs of CPU each against fast-jwt's 10 (docs/performance.md).
 */
@Injectable()
export class ResumeTokens {
  private readonly sign: (claims: ResumeClaims & { jti: string; exp: number }) => string;
  private readonly decode: (token: string) => Partial<ResumeClaims>;

  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    const key = Buffer.from(config.RESUME_TOKEN_SECRET);
    this.sign = createSigner({ key, algorithm: 'HS256', aud: AUDIENCE, noTimestamp: true });
    this.decode = createVerifier({ key, algorithms: ['HS256'], allowedAud: AUDIENCE, requiredClaims: ['exp'] });
  }

  issue(userId: string, deviceId: string, callId: string): { token: string; expiresAt: string } {
    const expiresAt = new Date(Date.now() + this.config.RESUME_TOKEN_TTL_MS);
    // The jti: `exp` has one-second resolution, so two tokens issued within a second would otherwise
    // be byte-identical, and a client told "keep the newest" could not tell a fresh one from the last.
    const token = this.sign({ sub: userId, dev: deviceId, call: callId, jti: randomUUID(), exp: Math.floor(expiresAt.getTime() / 1000) });
    return { token, expiresAt: expiresAt.toISOString() };
  }

  verify(token: string, session: SocketSession, callId: string): void {
    const refuse = (why: string) => new AppError(ErrorCode.RESUME_REFUSED, `Cannot resume this call: ${why}.`);
    let claims;
    try {
      claims = this.decode(token);
    } catch {
      throw refuse('the resume token is invalid or expired');
    }
    if (claims.sub !== session.userId || claims.dev !== session.deviceId || claims.call !== callId)
      throw refuse('the resume token belongs to another user, device or call');
  }
}
