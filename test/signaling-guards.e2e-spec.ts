import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { io } from 'socket.io-client';
import { MAX_CANDIDATE_BYTES, MAX_SDP_BYTES, SIGNALING_NAMESPACE } from '#contracts';
import { AppProcess, Platform, TestDevice, freePort, mintToken } from '#testing';

const key = () => `key-${randomUUID()}`;
let platform: Platform;

beforeAll(async () => {
  platform = await Platform.start({ notifier: false });
}, 60_000);
afterAll(async () => platform?.stop());

async function callCount(): Promise<number> {
  return (await platform.db.query('SELECT count(*)::int AS n FROM calls')).rows[0].n;
}

function refusal(auth: Record<string, unknown>): Promise<{ message: string; data?: { code: string } }> {
  const socket = io(`${platform.gateway.url}${SIGNALING_NAMESPACE}`, {
    auth,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => reject(new Error('connection was accepted')));
    socket.once('connect_error', (error) => {
      socket.close();
      resolve(error as Error & { data?: { code: string } });
    });
  });
}

const signed = (alg: string, secret: string) =>
  new SignJWT({}).setProtectedHeader({ alg }).setSubject('eve').setExpirationTime('1h').sign(new TextEncoder().encode(secret));

describe('authentication at the handshake', () => {
  it('refuses HTTP long-polling at once: the nodes share no sessions, so only WebSocket works', async () => {
    const polling = await fetch(`${platform.gateway.url}/socket.io/?EIO=4&transport=polling`);
    expect(polling.status).toBe(400);
    expect(await polling.json()).toMatchObject({ message: 'Transport unknown' });
  });

  it.each([
    ['no token', async () => ({ deviceId: 'd1' }), 'AUTH_TOKEN_MISSING'],
    ['a malformed token', async () => ({ token: 'not-a-jwt', deviceId: 'd1' }), 'AUTH_TOKEN_INVALID'],
    [
      'a token signed with another secret',
      async () => ({ token: await mintToken('x'.repeat(40), 'eve'), deviceId: 'd1' }),
      'AUTH_TOKEN_INVALID',
    ],
    [
      'an expired token',
      async () => ({ token: await mintToken(platform.jwtSecret, 'eve', { expiresIn: '-1m' }), deviceId: 'd1' }),
      'AUTH_TOKEN_EXPIRED',
    ],
    ['a bad device id', async () => ({ token: await platform.token('eve'), deviceId: 'has spaces' }), 'DEVICE_ID_INVALID'],
    [
      'an appState that is neither foreground nor background',
      async () => ({ token: await platform.token('eve'), deviceId: 'd1', appState: 'asleep' }),
      'VALIDATION_FAILED',
    ],
    [
      'a token signed with the right secret but an algorithm other than HS256',
      async () => ({ token: await signed('HS512', platform.jwtSecret), deviceId: 'd1' }),
      'AUTH_TOKEN_INVALID',
    ],
  ])('refuses %s with a stable code', async (_, auth, code) => {
    const error = await refusal(await auth());
    expect(error.data?.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(0);
  });
});

describe('every message gets an answer; bad ones change nothing', () => {
  it('refuses relays from anyone who is not carrying the call', async () => {
    const alice = await platform.device('g-alice');
    const bob = await platform.device('g-bob');
    const mallory = await platform.device('g-mallory');
    const { callId } = await alice.must('call:invite', { calleeId: 'g-bob', media: 'video', idempotencyKey: key() });
    // Before accept, not even the parties can relay.
    expect(await alice.send('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0' } })).toMatchObject({
      ok: false,
      error: { code: 'NOT_A_PARTY' },
    });
    await bob.must('call:accept', { callId });
    await alice.next('call:accepted');

    for (const [event, payload] of [
      ['call:sdp', { callId, description: { type: 'offer', sdp: 'v=0' } }],
      ['call:ice-candidate', { callId, candidate: null }],
      ['call:media-state', { callId, state: { camera: 'front', videoEnabled: false, audioMuted: true } }],
    ] as const) {
      expect(await mallory.send(event, payload as never)).toMatchObject({ ok: false, error: { code: 'NOT_A_PARTY' } });
    }
    for (const action of ['call:hangup', 'call:cancel', 'call:accept', 'call:decline'] as const)
      expect(await mallory.send(action, { callId })).toMatchObject({ ok: false, error: { code: 'CALL_NOT_FOUND' } });
    // Alice's second device is not the one that placed the call.
    const aliceTablet = await platform.device('g-alice', { deviceId: 'tablet' });
    expect(await aliceTablet.send('call:hangup', { callId })).toMatchObject({ ok: false, error: { code: 'NOT_A_PARTY' } });

    await new Promise((r) => setTimeout(r, 200));
    expect(bob.eventsFor(callId)).toEqual(['call:incoming', 'call:accepted']);
    expect((await platform.db.query('SELECT state FROM calls WHERE id = $1', [callId])).rows[0].state).toBe('active');
    await alice.must('call:hangup', { callId });
  });

  it('answers per-call messages on a ringing call by who sends them: the caller is a party, a ringing device carries nothing', async () => {
    const caller = await platform.device('ring-alice');
    const callee = await platform.device('ring-bob');
    const { callId } = await caller.must('call:invite', { calleeId: 'ring-bob', media: 'video', idempotencyKey: key() });
    await callee.next('call:incoming', (p) => p.callId === callId);
    await callee.must('call:ringing', { callId });
    const relays = [
      ['call:sdp', { callId, description: { type: 'offer', sdp: 'v=0' } }],
      ['call:ice-candidate', { callId, candidate: null }],
      ['call:media-state', { callId, state: { camera: 'front', videoEnabled: true, audioMuted: false } }],
    ] as const;
    const sample = { callId, sample: { at: new Date().toISOString(), rttMs: 20 } };
    const code = async (device: TestDevice, event: string, payload: unknown) => {
      const ack = (await device.send(event as 'call:sdp', payload as never)) as { ok: boolean; error?: { code: string } };
      return ack.ok ? 'ok' : ack.error!.code;
    };

    // Relays wait for call:accepted (there is no callee device to relay to); ICE has nothing to report yet.
    for (const [event, payload] of relays) expect([event, await code(caller, event, payload)]).toEqual([event, 'NOT_A_PARTY']);
    expect(await code(caller, 'call:ice-state', { callId, state: 'checking' })).toBe('CALL_NOT_ACTIVE');
    expect(await code(caller, 'call:ice-servers', { callId })).toBe('ok');
    // A ringing callee device has not answered, so its socket carries nothing of the call.
    for (const [event, payload] of relays) expect([event, await code(callee, event, payload)]).toEqual([event, 'NOT_A_PARTY']);
    expect(await code(callee, 'call:ice-state', { callId, state: 'checking' })).toBe('NOT_A_PARTY');
    expect(await code(callee, 'call:ice-servers', { callId })).toBe('NOT_A_PARTY');
    // Quality reports come only from a socket that carries (or recently carried) the call: the
    // ringing caller's does; a ringing callee device carries nothing of it (see protocol.md).
    expect(await code(caller, 'call:quality', sample)).toBe('ok');
    expect(await code(callee, 'call:quality', sample)).toBe('NOT_A_PARTY');
    expect((await platform.db.query('SELECT state FROM calls WHERE id = $1', [callId])).rows[0].state).toBe('ringing');

    // Once answered, the same report from the caller counts.
    await callee.must('call:accept', { callId });
    expect(await code(caller, 'call:ice-state', { callId, state: 'checking' })).toBe('ok');
    await caller.must('call:hangup', { callId });
  });

  it.each([
    ['a missing field', 'call:invite', { media: 'video', idempotencyKey: 'key-12345678' }, 'VALIDATION_FAILED'],
    [
      'an extra field',
      'call:invite',
      { calleeId: 'x', media: 'video', idempotencyKey: 'key-12345678', callerId: 'spoofed' },
      'VALIDATION_FAILED',
    ],
    ['a wrong type', 'call:invite', { calleeId: 42, media: 'video', idempotencyKey: 'key-12345678' }, 'VALIDATION_FAILED'],
    ['an unknown media kind', 'call:invite', { calleeId: 'x', media: 'hologram', idempotencyKey: 'key-12345678' }, 'VALIDATION_FAILED'],
    ['a malformed call id', 'call:accept', { callId: 'not-a-uuid' }, 'VALIDATION_FAILED'],
    ['a payload that is not an object', 'call:hangup', 'hello', 'VALIDATION_FAILED'],
    [
      'an oversized SDP',
      'call:sdp',
      { callId: randomUUID(), description: { type: 'offer', sdp: 'a'.repeat(MAX_SDP_BYTES + 1) } },
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'an oversized candidate',
      'call:ice-candidate',
      { callId: randomUUID(), candidate: { candidate: 'c'.repeat(MAX_CANDIDATE_BYTES + 1), sdpMid: '0', sdpMLineIndex: 0 } },
      'PAYLOAD_TOO_LARGE',
    ],
    ['an unknown event', 'call:teleport', { callId: randomUUID() }, 'UNKNOWN_EVENT'],
  ])('answers %s with %s', async (_, event, payload, code) => {
    const device = await platform.device(`v-${randomUUID().slice(0, 8)}`);
    const before = await callCount();
    const ack = await (device.socket.timeout(5000).emitWithAck as (e: string, p: unknown) => Promise<unknown>)(event, payload);
    expect(ack).toEqual({ ok: false, error: { code, message: expect.any(String) } });
    expect(await callCount()).toBe(before);
    expect(device.socket.connected).toBe(true);
  });

  it('answers a message sent without an ack callback with protocol:error', async () => {
    const device = await platform.device('no-ack');
    (device.socket.emit as (e: string, p: unknown) => void)('call:invite', { calleeId: 'x', media: 'video', idempotencyKey: key() });
    expect(await device.next('protocol:error')).toEqual({
      event: 'call:invite',
      error: { code: 'ACK_REQUIRED', message: expect.any(String) },
    });
  });

  it('says the calls app is unavailable instead of hanging, and stays ready for relays and resumes', async () => {
    // start() waits for readiness: a gateway whose calls app is down still takes sockets.
    const gateway = await AppProcess.start('gateway', {
      ...platform.gatewayEnv(platform.sharedEnv()),
      CALLS_URL: `http://127.0.0.1:${await freePort()}`,
      CALLS_REQUEST_TIMEOUT_MS: '1000',
    });
    try {
      const device = await TestDevice.connect(gateway.url, await platform.token('lonely'), 'lonely');
      const ack = await device.send('call:invite', { calleeId: 'anyone', media: 'video', idempotencyKey: key() });
      expect(ack).toEqual({ ok: false, error: { code: 'CALLS_UNAVAILABLE', message: expect.any(String) } });
      device.close();
      const ready = await fetch(`${gateway.url}/health/ready`);
      expect([ready.status, await ready.json()]).toEqual([
        200,
        expect.objectContaining({ status: 'ok', info: { redis: expect.objectContaining({ status: 'up' }) } }),
      ]);
      expect((await fetch(`${gateway.url}/health/live`)).status).toBe(200);
      // Dashboards and alerts still see the outage, on its own check.
      const calls = await fetch(`${gateway.url}/health/calls`);
      expect(calls.status).toBe(503);
      expect(await calls.json()).toMatchObject({ code: 'NOT_READY', status: 'error', error: { calls: { status: 'down' } } });
    } finally {
      await gateway.stop();
    }
  });
});
