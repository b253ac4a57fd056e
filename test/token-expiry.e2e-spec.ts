import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CallClient } from '#client-sdk';
import { Timeouts } from '#contracts';
import { Platform, TestDevice, iceCandidate, mintToken } from '#testing';

// Issue 12: "a socket whose JWT expired 3 s after connecting could still invite at 6 s". Tokens here
// live a few seconds, well inside TOKEN_EXPIRY_WARNING_MS, so the warning comes at once.
const SHORT = '3s';
const key = () => `key-${randomUUID()}`;
const tag = () => randomUUID().slice(0, 8);
const GENERIC = 'The token was rejected; fetch a new one.';
let platform: Platform;

beforeAll(async () => {
  platform = await Platform.start({ notifier: false });
}, 60_000);
afterAll(async () => platform?.stop());

/** Resolves with the disconnect reason; register it before the disconnect can happen. */
const disconnected = (device: TestDevice) =>
  new Promise<string>((resolve) => (device.socket.connected ? device.socket.once('disconnect', resolve) : resolve('already')));

/**
 * A device whose token was minted after `device`'s, so it expires no sooner: once the gateway has
 * closed it, `device`'s old token has expired too. The positive signal that replaces a sleep.
 */
async function pastExpiryOf(device: { userId: string }): Promise<void> {
  const control = await platform.device(`${device.userId}-control`, { expiresIn: SHORT });
  const gone = disconnected(control);
  await control.next('session:closing');
  await gone;
}

async function answered(caller: TestDevice, callee: TestDevice) {
  const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'audio', idempotencyKey: key() });
  const accept = await callee.must('call:accept', { callId });
  await caller.next('call:accepted', (p) => p.callId === callId);
  return { callId, accept };
}

describe('a socket whose access token expires', () => {
  it('is warned, then told why and closed at expiry, and its token opens no other socket', async () => {
    const device = await platform.device(`te-lapsed-${tag()}`, { expiresIn: SHORT });
    const gone = disconnected(device);
    const warning = await device.next('session:token-expiring');
    expect(Date.parse(warning.expiresAt) - Date.now()).toBeLessThanOrEqual(3_000);
    const closing = await device.next('session:closing');
    expect(closing.error.code).toBe('AUTH_TOKEN_EXPIRED');
    expect(await gone).toBe('io server disconnect');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(warning.expiresAt));
    // Nor can the old token open another socket to invite from.
    const token = await mintToken(platform.jwtSecret, device.userId, { expiresIn: '-1s' });
    const refused = await TestDevice.connect(platform.gateway.url, token, device.userId, device.deviceId).catch(
      (error: { data?: { code?: string } }) => error.data?.code,
    );
    expect(refused).toBe('AUTH_TOKEN_EXPIRED');
  }, 20_000);

  it('outlives its old token after a refresh with a fresh one for the same user, and still invites and relays', async () => {
    const t = tag();
    const caller = await platform.device(`te-fresh-${t}`, { expiresIn: SHORT });
    const callee = await platform.device(`te-callee-${t}`);
    const old = await caller.next('session:token-expiring');
    const refreshed = await caller.must('session:refresh', { token: await platform.token(caller.userId) });
    expect(Date.parse(refreshed.expiresAt) - Date.parse(old.expiresAt)).toBeGreaterThan(Timeouts.TOKEN_EXPIRY_WARNING_MS);
    const socketId = caller.socket.id;
    await pastExpiryOf(caller);
    expect(caller.socket.connected).toBe(true);
    expect(caller.socket.id).toBe(socketId);
    const { callId } = await answered(caller, callee);
    await caller.must('call:ice-candidate', { callId, candidate: iceCandidate(1) });
    await callee.next('call:ice-candidate', (p) => p.callId === callId);
    expect(caller.received.filter((r) => r.event === 'session:closing')).toEqual([]);
    await caller.must('call:hangup', { callId });
  }, 20_000);

  it('refuses a refresh with another user’s, an expired, a forged or a malformed token, generically, and changes nothing', async () => {
    // Five refused refreshes must all land before the expiry, also on a loaded machine: a longer token.
    const device = await platform.device(`te-refused-${tag()}`, { expiresIn: '8s' });
    const gone = disconnected(device);
    const warning = await device.next('session:token-expiring');
    const attempts = {
      otherUser: await platform.token(`te-someone-else-${tag()}`),
      expired: await platform.token(device.userId, undefined, '-10s'),
      forged: await mintToken('f'.repeat(64), device.userId),
      malformed: 'not.a.jwt',
    };
    const answers: Record<string, unknown> = {};
    for (const [name, token] of Object.entries(attempts)) answers[name] = await device.send('session:refresh', { token });
    expect(answers).toEqual({
      otherUser: { ok: false, error: { code: 'AUTH_TOKEN_INVALID', message: GENERIC } },
      expired: { ok: false, error: { code: 'AUTH_TOKEN_EXPIRED', message: expect.any(String) } },
      forged: { ok: false, error: { code: 'AUTH_TOKEN_INVALID', message: GENERIC } },
      malformed: { ok: false, error: { code: 'AUTH_TOKEN_INVALID', message: GENERIC } },
    });
    expect(await device.send('session:refresh', { token: '' })).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    // The old expiry still stands: closed at it, and warned only once.
    expect((await device.next('session:closing')).error.code).toBe('AUTH_TOKEN_EXPIRED');
    await gone;
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(warning.expiresAt));
    expect(device.received.filter((r) => r.event === 'session:token-expiring')).toHaveLength(1);
  }, 30_000);

  it('does not end the call it carries: the party reconnects with a fresh token and resumes', async () => {
    const t = tag();
    const caller = await platform.device(`te-steady-${t}`);
    const callee = await platform.device(`te-lapsing-${t}`, { expiresIn: '4s' });
    const { callId, accept } = await answered(caller, callee);
    await callee.must('call:ice-candidate', { callId, candidate: iceCandidate(1) });
    await caller.next('call:ice-candidate', (p) => p.callId === callId);
    const gone = disconnected(callee);
    expect((await callee.next('session:closing')).error.code).toBe('AUTH_TOKEN_EXPIRED');
    await gone;
    await caller.next('call:peer-reconnecting', (p) => p.callId === callId);
    await caller.must('call:ice-candidate', { callId, candidate: iceCandidate(2) });
    const back = await platform.reconnect(callee);
    const resumed = await back.must('call:resume', { callId, resumeToken: accept.resumeToken, lastSeq: back.lastSeqOf(callId) });
    expect(resumed).toMatchObject({ state: 'active', replayed: 1 });
    await back.next('call:ice-candidate', (p) => p.callId === callId && p.candidate?.candidate === iceCandidate(2).candidate);
    await caller.next('call:peer-resumed', (p) => p.callId === callId);
    await back.must('call:ice-candidate', { callId, candidate: iceCandidate(3) });
    await caller.next('call:ice-candidate', (p) => p.callId === callId && p.candidate?.candidate === iceCandidate(3).candidate);
    expect((await back.must('call:state', { callId })).state).toBe('active');
    await caller.must('call:hangup', { callId });
  }, 30_000);
});

describe('the client SDK', () => {
  it('answers the warning with a fresh token from its provider and keeps its socket past the old expiry', async () => {
    const userId = `te-sdk-${tag()}`;
    const minted: string[] = [];
    const client = new CallClient({
      url: platform.gateway.url,
      // The first token is about to expire; the provider hands out hour-long ones after that.
      token: async () => (minted.push(minted.length === 0 ? SHORT : '1h'), platform.token(userId, undefined, minted.at(-1))),
      deviceId: `${userId}-node`,
      appState: 'foreground',
    });
    const errors: Error[] = [];
    client.events.on('error', (e) => errors.push(e));
    let drops = 0;
    client.connection.socket.on('disconnect', () => (drops += 1));
    await client.connect();
    const socketId = client.connection.socket.id;
    await pastExpiryOf({ userId });
    expect(minted).toEqual([SHORT, '1h']);
    expect({ connected: client.connection.socket.connected, sameSocket: client.connection.socket.id === socketId, drops }).toEqual({
      connected: true,
      sameSocket: true,
      drops: 0,
    });
    expect(errors).toEqual([]);
    client.close();
  }, 20_000);

  it('reconnects with a fresh token when the refresh fails and the gateway closes the socket', async () => {
    const userId = `te-sdk-late-${tag()}`;
    let calls = 0;
    const client = new CallClient({
      url: platform.gateway.url,
      // Refuses the refresh once (the provider is down), then recovers for the reconnect.
      token: async () => {
        calls += 1;
        if (calls === 2) throw new Error('provider down');
        return platform.token(userId, undefined, calls === 1 ? SHORT : '1h');
      },
      deviceId: `${userId}-node`,
      appState: 'foreground',
    });
    const errors: string[] = [];
    client.events.on('error', (e) => errors.push((e as { code?: string }).code ?? e.message));
    await client.connect();
    const socket = client.connection.socket;
    const back = new Promise<void>((resolve) => socket.once('disconnect', () => socket.once('connect', () => resolve())));
    await back;
    expect(calls).toBe(3);
    expect(errors).toEqual(['TOKEN_UNAVAILABLE']);
    client.close();
  }, 20_000);
});
