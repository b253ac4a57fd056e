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

const refusal = (promise: Promise<void>) =>
  promise.then(
    () => 'accepted',
    (e: { code?: string }) => e.code,
  );

describe('resume tokens', () => {
  it('let the device that carried the call back into it', async () => {
    const { token } = await tokens(60_000).issue('alice', 'phone', CALL);
    expect(await refusal(tokens(60_000).verify(token, session('alice', 'phone'), CALL))).toBe('accepted');
  });

  it('are fresh on every issue: two issued within the same second differ, and both let the device back in', async () => {
    const service = tokens(60_000);
    const second = (issued: { expiresAt: string }) => Math.floor(Date.parse(issued.expiresAt) / 1000);
    // Same `exp` second, the case where the claims alone are equal (retried across a second boundary).
    let pair;
    do pair = [await service.issue('alice', 'phone', CALL), await service.issue('alice', 'phone', CALL)] as const;
    while (second(pair[0]) !== second(pair[1]));
    const [first, again] = pair;
    expect(again.token).not.toBe(first.token);
    for (const { token } of [first, again]) expect(await refusal(service.verify(token, session('alice', 'phone'), CALL))).toBe('accepted');
  });

  it.each([
    ['another user', session('mallory', 'phone'), CALL],
    ['another device of the same user', session('alice', 'tablet'), CALL],
    ['another call', session('alice', 'phone'), '00000000-0000-4000-8000-000000000000'],
  ])('are useless to %s', async (_, who, callId) => {
    const { token } = await tokens(60_000).issue('alice', 'phone', CALL);
    expect(await refusal(tokens(60_000).verify(token, who, callId))).toBe('RESUME_REFUSED');
  });

  it('are short-lived: an expired one is refused', async () => {
    const { token, expiresAt } = await tokens(1000).issue('alice', 'phone', CALL);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, 2100)); // JWT expiry has one-second resolution
    expect(await refusal(tokens(1000).verify(token, session('alice', 'phone'), CALL))).toBe('RESUME_REFUSED');
  });

  it("signed with another deployment's secret are refused", async () => {
    const other = new ResumeTokens({ RESUME_TOKEN_SECRET: 'o'.repeat(32), RESUME_TOKEN_TTL_MS: 60_000 } as GatewayConfig);
    const { token } = await other.issue('alice', 'phone', CALL);
    expect(await refusal(tokens(60_000).verify(token, session('alice', 'phone'), CALL))).toBe('RESUME_REFUSED');
  });
});
