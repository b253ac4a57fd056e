import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Namespace, type Socket } from 'socket.io';
import { SIGNALING_NAMESPACE } from '#contracts';
import { CallClient, type CallClientEvents } from './call-client.js';
import { CallSdkError } from './sdk-error.js';

/** A scripted gateway: answers each client message with what the test says, and records them. */
class FakeGateway {
  readonly received: { event: string; payload: Record<string, unknown> }[] = [];
  private readonly answers = new Map<string, (payload: Record<string, unknown>, socket: Socket) => unknown>();

  private constructor(
    private readonly io: Server,
    readonly url: string,
    readonly nsp: Namespace,
  ) {
    nsp.on('connection', (socket) =>
      socket.onAny((event: string, payload: Record<string, unknown>, ack: (a: unknown) => void) => {
        this.received.push({ event, payload });
        const answer = this.answers.get(event);
        if (!answer) return ack({ ok: false, error: { code: 'UNKNOWN_EVENT', message: event } });
        const data = answer(payload, socket);
        ack(data && typeof data === 'object' && 'error' in data ? { ok: false, ...data } : { ok: true, data });
      }),
    );
  }

  static async start(): Promise<FakeGateway> {
    const http = createServer();
    const io = new Server(http, { transports: ['websocket'] });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    return new FakeGateway(io, `http://127.0.0.1:${port}`, io.of(SIGNALING_NAMESPACE));
  }

  answer(event: string, fn: (payload: Record<string, unknown>, socket: Socket) => unknown): void {
    this.answers.set(event, fn);
  }

  sent(event: string): Record<string, unknown>[] {
    return this.received.filter((r) => r.event === event).map((r) => r.payload);
  }

  emit(event: string, payload: unknown): void {
    this.nsp.emit(event, payload);
  }

  close(): Promise<void> {
    return new Promise((resolve) => void this.io.close(() => resolve()));
  }
}

const CALL = '6f1c1f7e-8a51-4c55-9d0f-2a7f2b3c4d5e';
const ICE = { iceServers: [], ttlSeconds: 60, expiresAt: '2030-01-01T00:00:00.000Z' };
const incoming = (version: number) => ({
  callId: CALL,
  version,
  caller: { userId: 'alice', displayName: null },
  media: 'audio',
  createdAt: '2030-01-01T00:00:00.000Z',
  ringDeadline: '2030-01-01T00:00:45.000Z',
  iceServers: ICE,
});
/** The invite ack of an outgoing call that rings. */
const outgoing = {
  callId: CALL,
  state: 'initiated',
  role: 'caller',
  merged: false,
  ringDeadline: incoming(1).ringDeadline,
  resumeToken: 'ringing-token',
};
const acceptResult = { callId: CALL, state: 'active', version: 3, role: 'callee', polite: true, peerDeviceId: 'alice-1' };
const tokens = { iceServers: ICE, resumeToken: 'token-from-accept', resumeTokenExpiresAt: '2030-01-01T00:10:00.000Z' };

/** Resolves with the next event that matches, recording every one of that kind. */
function watch<K extends keyof CallClientEvents>(client: CallClient, event: K) {
  const seen: CallClientEvents[K][] = [];
  let waiters: { match: (p: CallClientEvents[K]) => boolean; resolve: (p: CallClientEvents[K]) => void }[] = [];
  client.events.on(event, (payload) => {
    seen.push(payload);
    waiters = waiters.filter((w) => (w.match(payload) ? (w.resolve(payload), false) : true));
  });
  const next = (match: (p: CallClientEvents[K]) => boolean = () => true) =>
    new Promise<CallClientEvents[K]>((resolve) => waiters.push({ match, resolve }));
  return { seen, next };
}

describe('CallClient against a scripted gateway (signaling only: Node has no WebRTC)', () => {
  let gateway: FakeGateway;
  let client: CallClient;

  beforeEach(async () => {
    gateway = await FakeGateway.start();
    client = new CallClient({ url: gateway.url, token: () => 'jwt', deviceId: 'bob-1', resyncMs: 150 });
    await client.connect();
  });
  afterEach(async () => {
    client.close();
    await gateway.close();
  });

  /** An incoming call, answered: the client carries it from the accept ack. */
  async function answerIncoming(): Promise<void> {
    gateway.answer('call:accept', () => ({ ...acceptResult, ...tokens }));
    const rings = watch(client, 'incoming');
    gateway.emit('call:incoming', incoming(1));
    await rings.next();
    await client.answer(CALL);
  }

  it('drops a lifecycle event whose version it has already seen', async () => {
    const rings = watch(client, 'incoming');
    gateway.emit('call:incoming', incoming(1));
    gateway.emit('call:incoming', incoming(1)); // redelivered, e.g. after a move between nodes
    gateway.emit('call:incoming', { ...incoming(2), callId: 'b7e0b1e4-1d0e-4e7e-9f3c-0a1b2c3d4e5f' });
    await rings.next((p) => p.version === 2);
    expect(rings.seen.map((p) => p.callId)).toEqual([CALL, 'b7e0b1e4-1d0e-4e7e-9f3c-0a1b2c3d4e5f']);
  });

  it('carries the call from the accept ack, drops the call:accepted that follows, and resumes with its token', async () => {
    gateway.answer('call:accept', () => ({ ...acceptResult, ...tokens }));
    gateway.answer('call:state', () => ({
      callId: CALL,
      state: 'active',
      endReason: null,
      ringDeadline: incoming(1).ringDeadline,
      answeredDeviceId: 'bob-1',
      version: 3,
    }));
    const rings = watch(client, 'incoming');
    gateway.emit('call:incoming', incoming(1));
    await rings.next();
    const calls = watch(client, 'call');
    await client.answer(CALL);
    expect(client.current?.phase).toBe('connecting');

    gateway.emit('call:accepted', {
      callId: CALL,
      version: 3,
      answeredDeviceId: 'bob-1',
      role: 'callee',
      polite: true,
      ...tokens,
      resumeToken: 'stale',
    });
    gateway.emit('call:peer-reconnecting', { callId: CALL, version: 4, userId: 'alice', graceEndsAt: '2030-01-01T00:00:30.000Z' });
    await calls.next((c) => c.peerAway);
    expect(calls.seen.map((c) => c.phase)).toEqual(['connecting', 'connecting']); // begin, then peer away: nothing from call:accepted

    gateway.answer('call:resume', () => ({
      ...acceptResult,
      ...tokens,
      peerDeviceId: 'alice-1',
      peerReconnecting: false,
      replayed: 0,
      epoch: 100,
      replayComplete: true,
      version: 5,
    }));
    const resumed = watch(client, 'resumed');
    gateway.nsp.disconnectSockets();
    await resumed.next();
    expect(gateway.sent('call:resume')).toEqual([{ callId: CALL, resumeToken: 'token-from-accept', lastSeq: 0 }]);
    gateway.emit('call:peer-resumed', { callId: CALL, version: 5, userId: 'alice' }); // covered by the ack's version
    gateway.emit('call:ended', { callId: CALL, version: 6, reason: 'completed' });
    expect((await calls.next((c) => c.phase === 'ended')).endReason).toBe('completed');
  });

  it('keeps relays in order across a new epoch, resumes with its epoch, and adopts the ack epoch', async () => {
    await answerIncoming();
    const media = watch(client, 'remote-media-state');
    const state = (camera: 'front' | 'back', audioMuted: boolean) => ({ camera, videoEnabled: true, audioMuted });
    gateway.emit('call:media-state', { callId: CALL, seq: 1, epoch: 100, state: state('front', false) });
    gateway.emit('call:media-state', { callId: CALL, seq: 3, epoch: 100, state: state('back', true) }); // 2 is missing
    gateway.emit('call:media-state', { callId: CALL, seq: 2, epoch: 50, state: state('back', false) }); // stale store
    await media.next();

    gateway.answer('call:resume', (_, socket) => {
      socket.emit('call:media-state', { callId: CALL, seq: 1, epoch: 200, state: state('front', true) }); // replayed, new store
      return { ...acceptResult, ...tokens, peerReconnecting: false, replayed: 1, epoch: 200, replayComplete: false, version: 4 };
    });
    const resumed = watch(client, 'resumed');
    gateway.nsp.disconnectSockets();
    await resumed.next();
    expect(gateway.sent('call:resume')[0]).toMatchObject({ lastSeq: 1, epoch: 100 });
    // Held 3 goes out as it stands when the new epoch begins; the stale one never does.
    expect(media.seen).toEqual([state('front', false), state('back', true), state('front', true)]);
    gateway.emit('call:media-state', { callId: CALL, seq: 2, epoch: 200, state: state('back', false) });
    await media.next();
    expect(media.seen).toHaveLength(4);
  });

  it('waits out a resume refused because another of this device is still in flight, then resumes', async () => {
    await answerIncoming();
    let refusals = 2;
    gateway.answer('call:resume', () =>
      refusals-- > 0
        ? { error: { code: 'RATE_LIMITED', message: 'Too many concurrent resumes of this device', retryAfterMs: 20 } }
        : { ...acceptResult, ...tokens, peerReconnecting: false, replayed: 0, epoch: 100, replayComplete: true, version: 4 },
    );
    const resumed = watch(client, 'resumed');
    const errors = watch(client, 'error');
    gateway.nsp.disconnectSockets();
    await resumed.next();
    expect(gateway.sent('call:resume')).toHaveLength(3);
    expect(errors.seen).toEqual([]);
  });

  it('shows the callee ringing even when call:ringing beats the invite ack', async () => {
    gateway.answer('call:invite', (_payload, socket) => {
      socket.emit('call:ringing', { callId: CALL, version: 2 }); // written before the ack
      return outgoing;
    });
    await client.call('carol', 'audio');
    expect(client.current).toMatchObject({ callId: CALL, phase: 'outgoing', peerRinging: true });
  });

  it('asks call:state while an outgoing call hears nothing, and proceeds as accepted when it was answered', async () => {
    gateway.answer('call:invite', () => outgoing);
    const views = [
      { state: 'ringing', answeredDeviceId: null, endReason: null, version: 2 },
      { state: 'active', answeredDeviceId: 'carol-1', endReason: null, version: 3 },
      { state: 'ended', answeredDeviceId: 'carol-1', endReason: 'failed', version: 5 },
    ];
    gateway.answer('call:state', () => ({ callId: CALL, ringDeadline: incoming(1).ringDeadline, ...views.shift()! }));
    gateway.answer('call:ice-servers', () => ICE);
    const resyncs = watch(client, 'resync');
    const calls = watch(client, 'call');
    await client.call('carol', 'audio');

    await resyncs.next((r) => r.state === 'active');
    expect(client.current?.phase).toBe('connecting');
    expect(gateway.sent('call:ice-servers')).toHaveLength(1);
    gateway.emit('call:accepted', { callId: CALL, version: 3, answeredDeviceId: 'carol-1', role: 'caller', polite: false, ...tokens }); // old news now

    // Answered, and media never connects (Node has none): ask again; the server ended it as failed.
    const ended = await calls.next((c) => c.phase === 'ended');
    expect(ended.endReason).toBe('failed');
    expect(resyncs.seen.map((r) => [r.reason, r.state])).toEqual([
      ['outgoing-stalled', 'ringing'],
      ['outgoing-stalled', 'active'],
      ['media-not-connected', 'ended'],
    ]);
    expect(calls.seen.map((c) => c.phase)).toEqual(['outgoing', 'connecting', 'ended']);
  });

  it('retries call:accept while the calls app is unavailable', async () => {
    let attempts = 0;
    gateway.answer('call:accept', () =>
      ++attempts < 2 ? { error: { code: 'CALLS_UNAVAILABLE', message: 'restarting' } } : { ...acceptResult, ...tokens },
    );
    const rings = watch(client, 'incoming');
    gateway.emit('call:incoming', incoming(1));
    await rings.next();
    await client.answer(CALL);
    expect(attempts).toBe(2);
    expect(client.current?.phase).toBe('connecting');
  });

  it('tells the caller it rings here, and drops an incoming call the ringing ack says is over', async () => {
    gateway.answer('call:ringing', (p) =>
      p.callId === CALL ? { callId: CALL, state: 'ringing' } : { error: { code: 'CALL_ALREADY_ENDED', message: 'over' } },
    );
    const gone = watch(client, 'incoming-gone');
    gateway.emit('call:incoming', incoming(1));
    gateway.emit('call:incoming', { ...incoming(1), callId: 'b7e0b1e4-1d0e-4e7e-9f3c-0a1b2c3d4e5f' });
    expect(await gone.next()).toEqual({ callId: 'b7e0b1e4-1d0e-4e7e-9f3c-0a1b2c3d4e5f', reason: 'cancelled' });
    expect(gateway.sent('call:ringing')).toEqual([{ callId: CALL }, { callId: 'b7e0b1e4-1d0e-4e7e-9f3c-0a1b2c3d4e5f' }]);
  });

  it('shows the caller that the callee rings, and says who ended the call', async () => {
    gateway.answer('call:invite', () => outgoing);
    gateway.answer('call:cancel', () => ({ callId: CALL, state: 'ended' }));
    const calls = watch(client, 'call');
    await client.call('carol', 'audio');
    gateway.emit('call:ringing', { callId: CALL, version: 2 });
    await calls.next((c) => c.peerRinging);
    await client.hangup();
    gateway.emit('call:ended', { callId: CALL, version: 3, reason: 'cancelled' });
    expect(await calls.next((c) => c.phase === 'ended')).toMatchObject({ endReason: 'cancelled', endedBy: 'local', peerRinging: false });
  });
});

describe('a token provider that fails', () => {
  it('makes connect() reject with TOKEN_UNAVAILABLE, not hang', async () => {
    const gateway = await FakeGateway.start();
    const client = new CallClient({ url: gateway.url, token: () => Promise.reject(new Error('identity provider down')), deviceId: 'x' });
    const failure = client.connect();
    await expect(failure).rejects.toBeInstanceOf(CallSdkError);
    await expect(failure).rejects.toMatchObject({ code: 'TOKEN_UNAVAILABLE', message: expect.stringContaining('identity provider down') });
    expect(client.connection.socket.connected).toBe(false);
    client.close();
    await gateway.close();
  });
});
