import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CallClient, CallSdkError, type CallInfo } from '#client-sdk';
import { Platform } from '#testing';

let platform: Platform;
beforeAll(async () => {
  platform = await Platform.start({ notifier: false });
}, 60_000);
afterAll(async () => platform?.stop());

const client = (userId: string) =>
  new CallClient({ url: platform.gateway.url, token: () => platform.token(userId), deviceId: `${userId}-node`, appState: 'foreground' });

const phases = (c: CallClient) => {
  const seen: (CallInfo['phase'] | 'ringing')[] = [];
  c.events.on('call', (call) => seen.push(call.phase === 'outgoing' && call.peerRinging ? 'ringing' : call.phase));
  return seen;
};

describe('the client SDK from Node (signaling only: Node has no WebRTC)', () => {
  it('places, answers and hangs up a call, and exposes the state as events (the callee rings on its own)', async () => {
    const alice = client('sdk-alice');
    const bob = client('sdk-bob');
    await Promise.all([alice.connect(), bob.connect()]);
    const alicePhases = phases(alice);
    const incoming = new Promise<string>((resolve) => bob.events.on('incoming', (p) => resolve(p.callId)));
    const callId = await alice.call('sdk-bob', 'audio');
    expect(await incoming).toBe(callId);
    const aliceConnecting = new Promise<void>((resolve) => alice.events.on('call', (c) => c.phase === 'connecting' && resolve()));
    await bob.answer(callId);
    const ended = new Promise<CallInfo>((resolve) => bob.events.on('call', (c) => c.phase === 'ended' && resolve(c)));
    await aliceConnecting; // call:accepted has reached the caller, so her hangup ends an answered call
    await alice.hangup();
    expect(await ended).toMatchObject({ endReason: 'completed', endedBy: 'remote' });
    expect(alicePhases).toEqual(['outgoing', 'ringing', 'connecting', 'ended']);
    alice.close();
    bob.close();
  });

  it('surfaces refusals as errors with the stable code', async () => {
    const carol = client('sdk-carol');
    await carol.connect();
    await expect(carol.call('sdk-carol')).rejects.toMatchObject({ code: 'SELF_CALL' });
    await expect(carol.call('sdk-carol')).rejects.toBeInstanceOf(CallSdkError);
    carol.close();
  });

  it('refuses to connect with a bad token, with the stable code', async () => {
    const eve = new CallClient({ url: platform.gateway.url, token: () => 'not-a-jwt', deviceId: 'eve' });
    await expect(eve.connect()).rejects.toMatchObject({ code: 'AUTH_TOKEN_INVALID' });
    eve.close();
  });

  it('rejects connect() with TOKEN_UNAVAILABLE when the token provider fails', async () => {
    const fay = new CallClient({ url: platform.gateway.url, token: () => Promise.reject(new Error('sign-in expired')), deviceId: 'fay' });
    await expect(fay.connect()).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE', message: expect.stringContaining('sign-in expired') });
    fay.close();
  });
});
