import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { SocketSession } from '#contracts';
import type { GatewayConfig } from '../config/gateway.config.js';
import { ResumeTokens } from './resume-tokens.service.js';

const tokens = (ttlMs: number) => new ResumeTokens({ RESUME_TOKEN_SECRET: 's'.repeat(32), RESUME_TOKEN_TTL_MS: ttlMs } as GatewayConfig);
const session = (userId: string, deviceId: string): SocketSession => ({
  userId,
  deviceId,
  displayName: null,
  tokenExpiresAt: Date.now() + 3_600_000,
  calls: {},
  carried: [],
  appState: 'foreground',
});
const CALL = '6f1c2a3e-1b0d-4c8e-9f7a-2d3b4c5d6e7f';

const refusal = (verify: () => void) => {
  try {
    verify();
    return 'accepted';
  } catch (e) {
    return (e as { code?: string }).code;
  }
};
/** A token this service never signed: the same claims, encoded by hand. */
const forged = (header: object, claims: object, secret?: string) => {
  const signed = [header, claims].map((part) => Buffer.from(JSON.stringify(part)).toString('base64url')).join('.');
  return `${signed}.${secret ? createHmac('sha256', secret).update(signed).digest('base64url') : ''}`;
};

describe('resume tokens', () => {
  it('let the device that carried the call back into it', () => {
    const { token } = tokens(60_000).issue('alice', 'phone', CALL);
    expect(refusal(() => tokens(60_000).verify(token, session('alice', 'phone'), CALL))).toBe('accepted');
  });

  it('are fresh on every issue: two issued within the same second differ, and both let the device back in', () => {
    const service = tokens(60_000);
    const second = (issued: { expiresAt: string }) => Math.floor(Date.parse(issued.expiresAt) / 1000);
    // Same `exp` second, the case where the claims alone are equal (retried across a second boundary).
    let pair;
    do pair = [service.issue('alice', 'phone', CALL), service.issue('alice', 'phone', CALL)] as const;
    while (second(pair[0]) !== second(pair[1]));
    const [first, again] = pair;
    expect(again.token).not.toBe(first.token);
    for (const { token } of [first, again]) expect(refusal(() => service.verify(token, session('alice', 'phone'), CALL))).toBe('accepted');
  });

  it.each([
    ['another user', session('mallory', 'phone'), CALL],
    ['another device of the same user', session('alice', 'tablet'), CALL],
    ['another call', session('alice', 'phone'), '00000000-0000-4000-8000-000000000000'],
  ])('are useless to %s', (_, who, callId) => {
    const { token } = tokens(60_000).issue('alice', 'phone', CALL);
    expect(refusal(() => tokens(60_000).verify(token, who, callId))).toBe('RESUME_REFUSED');
  });

  it('are short-lived: an expired one is refused', async () => {
    const { token, expiresAt } = tokens(1000).issue('alice', 'phone', CALL);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, 2100)); // JWT expiry has one-second resolution
    expect(refusal(() => tokens(1000).verify(token, session('alice', 'phone'), CALL))).toBe('RESUME_REFUSED');
  });

  it("signed with another deployment's secret are refused", () => {
    const other = new ResumeTokens({ RESUME_TOKEN_SECRET: 'o'.repeat(32), RESUME_TOKEN_TTL_MS: 60_000 } as GatewayConfig);
    const { token } = other.issue('alice', 'phone', CALL);
    expect(refusal(() => tokens(60_000).verify(token, session('alice', 'phone'), CALL))).toBe('RESUME_REFUSED');
  });

  it.each([
    ['unsigned (alg none)', forged({ alg: 'none' }, { sub: 'alice', dev: 'phone', call: CALL, aud: 'call-resume', exp: 4e9 })],
    ['without an expiry', forged({ alg: 'HS256' }, { sub: 'alice', dev: 'phone', call: CALL, aud: 'call-resume' }, 's'.repeat(32))],
    ['for another audience', forged({ alg: 'HS256' }, { sub: 'alice', dev: 'phone', call: CALL, aud: 'login', exp: 4e9 }, 's'.repeat(32))],
  ])('that are %s are refused, even with the right claims', (_, token) => {
    expect(refusal(() => tokens(60_000).verify(token, session('alice', 'phone'), CALL))).toBe('RESUME_REFUSED');
  });

  it('that this secret signed by hand with every claim are accepted, so the format is plain HS256', () => {
    const token = forged({ alg: 'HS256' }, { sub: 'alice', dev: 'phone', call: CALL, aud: 'call-resume', exp: 4e9 }, 's'.repeat(32));
    expect(refusal(() => tokens(60_000).verify(token, session('alice', 'phone'), CALL))).toBe('accepted');
  });
});
