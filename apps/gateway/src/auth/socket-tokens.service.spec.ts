import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { AppError, ErrorCode, type SocketSession, Timeouts } from '#contracts';
import type { JwtVerifier, VerifiedIdentity } from '#infra';
import type { GatewayConfig } from '../config/gateway.config.js';
import type { SignalingSocket } from '../signaling/signaling-socket.js';
import { SocketTokens } from './socket-tokens.service.js';

const WARNING = Timeouts.TOKEN_EXPIRY_WARNING_MS;
const HOUR = 3_600_000;
const TICK = Timeouts.TOKEN_CHECK_INTERVAL_MS;

/** Tokens are "<user>:<expiresAt>"; anything else is refused as the real verifier would. */
const verifier = {
  verify: (token: string, subject?: string): Promise<VerifiedIdentity> => {
    const [userId, expiresAt] = token.split(':');
    if (!userId || !expiresAt || (subject && userId !== subject))
      return Promise.reject(new AppError(ErrorCode.AUTH_TOKEN_INVALID, 'The token was rejected; fetch a new one.'));
    return Promise.resolve({ userId, displayName: null, expiresAt: Number(expiresAt) });
  },
} as JwtVerifier;

function fakeSocket(tokenExpiresAt: number) {
  const sent: { event: string; payload: unknown }[] = [];
  const socket = {
    id: 'socket-1',
    connected: true,
    data: { userId: 'alice', deviceId: 'phone', tokenExpiresAt } as SocketSession,
    emit: (event: string, payload: unknown) => sent.push({ event, payload }),
    disconnect: () => ((socket.connected = false), socket),
  };
  return { socket: socket as unknown as SignalingSocket & { connected: boolean }, sent, events: () => sent.map((s) => s.event) };
}

describe('a socket held to its access token', () => {
  let tokens: SocketTokens;
  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000_000_000 });
    tokens = new SocketTokens(verifier, { TOKEN_EXPIRY_WARNING_MS: WARNING } as GatewayConfig);
  });
  afterEach(() => {
    tokens.onModuleDestroy();
    jest.useRealTimers();
  });

  it('is warned the lead time before expiry, and told why and closed at expiry', () => {
    const { socket, sent, events } = fakeSocket(Date.now() + HOUR);
    tokens.watch(socket);
    jest.advanceTimersByTime(HOUR - WARNING - 1);
    expect(events()).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(sent).toEqual([{ event: 'session:token-expiring', payload: { expiresAt: new Date(Date.now() + WARNING).toISOString() } }]);
    jest.advanceTimersByTime(WARNING - 1);
    expect(socket.connected).toBe(true);
    jest.advanceTimersByTime(1);
    expect(events()).toEqual(['session:token-expiring', 'session:closing']);
    expect(sent[1]!.payload).toMatchObject({ error: { code: 'AUTH_TOKEN_EXPIRED' } });
    expect(socket.connected).toBe(false);
  });

  it('is warned at the next check when less than the lead is left', () => {
    const { socket, events } = fakeSocket(Date.now() + 3_000);
    tokens.watch(socket);
    jest.advanceTimersByTime(TICK);
    expect(events()).toEqual(['session:token-expiring']);
  });

  it('is closed within a check of its expiry, never before it', () => {
    const { socket } = fakeSocket(Date.now() + 2_500);
    tokens.watch(socket);
    jest.advanceTimersByTime(2_499);
    expect(socket.connected).toBe(true);
    jest.advanceTimersByTime(TICK);
    expect(socket.connected).toBe(false);
  });

  it('carries on past the old expiry after a refresh, and is warned again before the new one', async () => {
    const { socket, events } = fakeSocket(Date.now() + 3_000);
    tokens.watch(socket);
    jest.advanceTimersByTime(TICK);
    const later = Date.now() + HOUR;
    await expect(tokens.refresh(socket, { token: `alice:${later}` })).resolves.toEqual({ expiresAt: new Date(later).toISOString() });
    jest.advanceTimersByTime(HOUR - WARNING);
    expect(events()).toEqual(['session:token-expiring', 'session:token-expiring']);
    expect(socket.connected).toBe(true);
    jest.advanceTimersByTime(WARNING);
    expect(socket.connected).toBe(false);
  });

  it('changes nothing on a refused refresh, nor on a token that expires no later (no second warning)', async () => {
    const expiresAt = Date.now() + 3_000;
    const { socket, events } = fakeSocket(expiresAt);
    tokens.watch(socket);
    jest.advanceTimersByTime(TICK);
    await expect(tokens.refresh(socket, { token: `mallory:${Date.now() + HOUR}` })).rejects.toMatchObject({ code: 'AUTH_TOKEN_INVALID' });
    await expect(tokens.refresh(socket, { token: `alice:${expiresAt - 1_000}` })).resolves.toEqual({
      expiresAt: new Date(expiresAt).toISOString(),
    });
    jest.advanceTimersByTime(3_000);
    expect(events()).toEqual(['session:token-expiring', 'session:closing']);
  });

  it('does nothing once forgotten (the socket went away)', () => {
    const { socket, events } = fakeSocket(Date.now() + 3_000);
    tokens.watch(socket);
    tokens.forget(socket);
    jest.advanceTimersByTime(HOUR);
    expect(events()).toEqual([]);
  });
});
