import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { type ServerPayload, Timeouts } from '#contracts';
import { Redis } from 'ioredis';
import { Platform, TestDevice } from '#testing';

const GRACE_MS = 4000;
const MEDIA_GRACE_MS = 2500;
const candidate = (n: number) => ({
  candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${50000 + n} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let platform: Platform;

beforeAll(async () => {
  platform = await Platform.start({
    gateways: 2,
    notifier: false,
    env: { RECONNECT_GRACE_MS: String(GRACE_MS), MEDIA_GRACE_MS: String(MEDIA_GRACE_MS), CARRIER_TTL_MS: '1500' },
  });
}, 60_000);
afterAll(async () => platform?.stop());

/** An answered call with the caller on node 1 and the callee on node 2 (or as given). */
async function connectedCall(callerNode = platform.gateways[0]!, calleeNode = platform.gateways[1]!) {
  const tag = randomUUID().slice(0, 8);
  const caller = await platform.device(`r-alice-${tag}`, { deviceId: 'alice-phone', gateway: callerNode });
  const callee = await platform.device(`r-bob-${tag}`, { deviceId: 'bob-phone', gateway: calleeNode });
  const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: `key-${tag}` });
  await callee.must('call:accept', { callId });
  const callerAccepted = await caller.next('call:accepted', (p) => p.callId === callId);
  const calleeAccepted = await callee.next('call:accepted', (p) => p.callId === callId);
  await caller.must('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0\r\n' } });
  await callee.next('call:sdp', (p) => p.callId === callId);
  return { caller, callee, callId, callerAccepted, calleeAccepted };
}

const resume = (device: TestDevice, callId: string, resumeToken: string) =>
  device.send('call:resume', { callId, resumeToken, lastSeq: device.lastSeqOf(callId) });

const candidatesFor = (device: TestDevice, callId: string) =>
  device.received
    .filter((r) => r.event === 'call:ice-candidate' && (r.payload as { callId: string }).callId === callId)
    .map((r) => (r.payload as ServerPayload<'call:ice-candidate'>).candidate?.candidate);

describe('signaling interruptions', () => {
  it('a dropped socket resumes: the peer is told, and what was missed arrives in order, exactly once', async () => {
    const { caller, callee, callId, callerAccepted } = await connectedCall();
    caller.close();
    const reconnecting = await callee.next('call:peer-reconnecting', (p) => p.callId === callId);
    expect(Date.parse(reconnecting.graceEndsAt) - Date.now()).toBeGreaterThan(GRACE_MS - 1000);

    for (const n of [1, 2, 3]) await callee.must('call:ice-candidate', { callId, candidate: candidate(n) });
    await callee.must('call:media-state', { callId, state: { camera: 'back', videoEnabled: true, audioMuted: false } });

    const started = performance.now();
    const back = await platform.reconnect(caller);
    // Sent after the new socket joined but before it resumed: it arrives live *and* in the replay.
    await callee.must('call:ice-candidate', { callId, candidate: candidate(4) });
    const ack = await resume(back, callId, callerAccepted.resumeToken);
    const resumeMs = performance.now() - started;
    console.log(`socket back → party back in the call (connect + resume + replay): ${resumeMs.toFixed(1)} ms`);
    expect(ack).toMatchObject({
      ok: true,
      data: { callId, state: 'active', role: 'caller', polite: false, peerDeviceId: 'bob-phone', peerReconnecting: false },
    });
    if (!ack.ok) throw new Error('unreachable');
    expect(ack.data.replayed).toBe(5);
    await callee.next('call:peer-resumed', (p) => p.callId === callId);

    await back.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(4).candidate);
    expect(candidatesFor(back, callId)).toEqual([1, 2, 3, 4].map((n) => candidate(n).candidate));
    expect(back.duplicates.map((d) => d.event)).toEqual(['call:ice-candidate']);
    const seqs = back.received.filter((r) => (r.payload as { seq?: number }).seq).map((r) => (r.payload as { seq: number }).seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    // The call goes on both ways.
    await back.must('call:ice-candidate', { callId, candidate: candidate(9) });
    await callee.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(9).candidate);
    const detail = await platform.timeline(callId, (t) => t.includes('replayed'));
    expect(detail.timeline.map((t) => t.type)).toEqual(expect.arrayContaining(['disconnected', 'resumed', 'replayed']));
    await back.must('call:hangup', { callId });
  });

  it('a party that does not come back within the grace ends the call as connection-lost, and the peer is told', async () => {
    const { caller, callee, callId } = await connectedCall();
    callee.close();
    await caller.next('call:peer-reconnecting', (p) => p.callId === callId);
    expect(await caller.next('call:ended', (p) => p.callId === callId, GRACE_MS + 5000)).toMatchObject({
      callId,
      reason: 'connection-lost',
    });
    const { rows } = await platform.db.query('SELECT state, end_reason FROM calls WHERE id = $1', [callId]);
    expect(rows[0]).toEqual({ state: 'ended', end_reason: 'connection-lost' });
  });

  it('resumes on another gateway node', async () => {
    const { caller, callee, callId, calleeAccepted } = await connectedCall();
    callee.close();
    await caller.next('call:peer-reconnecting', (p) => p.callId === callId);
    await caller.must('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0\r\nrenegotiate\r\n' } });
    const back = await platform.reconnect(callee, platform.gateways[0]);
    const ack = await resume(back, callId, calleeAccepted.resumeToken);
    expect(ack).toMatchObject({ ok: true, data: { role: 'callee', polite: true, replayed: 1 } });
    expect(await back.next('call:sdp', (p) => p.callId === callId)).toMatchObject({ description: { sdp: 'v=0\r\nrenegotiate\r\n' } });
    await caller.next('call:peer-resumed', (p) => p.callId === callId);
    await caller.must('call:hangup', { callId });
  });

  it("refuses a resume with anyone else's credentials", async () => {
    const { caller, callee, callId, callerAccepted } = await connectedCall();
    const mallory = await platform.device('mallory', { deviceId: 'alice-phone' });
    const sameUserOtherDevice = await platform.device(caller.userId, { deviceId: 'alice-tablet' });
    for (const [device, token] of [
      [mallory, callerAccepted.resumeToken],
      [sameUserOtherDevice, callerAccepted.resumeToken],
      [caller, 'not-a-token'],
    ] as const) {
      expect(await resume(device, callId, token)).toMatchObject({ ok: false, error: { code: 'RESUME_REFUSED' } });
    }
    // Nothing changed: Mallory cannot relay, and the real parties still can.
    expect(await mallory.send('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0' } })).toMatchObject({
      ok: false,
      error: { code: 'NOT_A_PARTY' },
    });
    await callee.must('call:ice-candidate', { callId, candidate: candidate(1) });
    await caller.next('call:ice-candidate', (p) => p.callId === callId);
    await caller.must('call:hangup', { callId });
  });

  it('survives a SIGKILL of the node holding one party: it reconnects to another node and resumes', async () => {
    const doomed = await platform.addGateway();
    const { caller, callee, callId, callerAccepted } = await connectedCall(doomed, platform.gateways[1]);
    await doomed.stop('SIGKILL');
    for (const n of [1, 2]) await callee.must('call:ice-candidate', { callId, candidate: candidate(n) });
    const back = await platform.reconnect(caller, platform.gateways[0]);
    const ack = await resume(back, callId, callerAccepted.resumeToken);
    expect(ack).toMatchObject({ ok: true, data: { state: 'active', replayed: 2 } });
    expect(candidatesFor(back, callId)).toEqual([candidate(1).candidate, candidate(2).candidate]);
    const { rows } = await platform.db.query('SELECT state, answered_device_id FROM calls WHERE id = $1', [callId]);
    expect(rows[0]).toEqual({ state: 'active', answered_device_id: 'bob-phone' });
    await back.must('call:hangup', { callId });
    await callee.next('call:ended', (p) => p.callId === callId);
  });

  it('a sender whose node died mid-relay resumes elsewhere: its stream begins a new epoch, so no seq is reused', async () => {
    const doomed = await platform.addGateway();
    const { caller, callee, callId, callerAccepted } = await connectedCall(doomed, platform.gateways[1]);
    const seen: { seq: number; epoch: number }[] = [];
    let third!: (relay: { seq: number; epoch: number }) => void;
    const thirdRelay = new Promise<{ seq: number; epoch: number }>((resolve) => (third = resolve));
    callee.socket.on('call:ice-candidate', ({ seq, epoch }: { seq: number; epoch: number }) => {
      seen.push({ seq, epoch });
      if (seen.length === 3) third({ seq, epoch });
    });
    for (const n of [1, 2]) await caller.must('call:ice-candidate', { callId, candidate: candidate(n) });
    await callee.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(2).candidate);
    // The doomed node forwarded the last one but dies before its store lands: roll the store back.
    const redis = new Redis(platform.redisUrl);
    const state = `${platform.redisPrefix}call:{${callId}}:relay:device:${callee.userId}:${callee.deviceId}`;
    const last = seen[1]!;
    await redis.hset(state, 'seq', last.seq - 1);
    await redis.xdel(state.replace(':relay:', ':outbox:'), `${last.seq}-0`);
    await redis.quit();
    await doomed.stop('SIGKILL');

    const back = await platform.reconnect(caller, platform.gateways[0]);
    expect(await resume(back, callId, callerAccepted.resumeToken)).toMatchObject({ ok: true });
    await back.must('call:ice-candidate', { callId, candidate: candidate(3) });
    // Reusing the lost seq in the same epoch would make the peer drop candidate 3 as a duplicate; a
    // larger epoch makes its seq buffer apply what it holds and start over.
    expect((await thirdRelay).epoch).toBeGreaterThan(last.epoch);
    await back.must('call:hangup', { callId });
  });

  it('an ended call keeps its replay streams for a minute, not hours', async () => {
    const { caller, callee, callId } = await connectedCall();
    await caller.must('call:ice-candidate', { callId, candidate: candidate(1) });
    await callee.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(1).candidate);
    await caller.must('call:hangup', { callId });
    // The node shortens the expiry before it tells its sockets of the end.
    await callee.next('call:ended', (p) => p.callId === callId);
    const redis = new Redis(platform.redisUrl);
    try {
      const keys = await redis.keys(`${platform.redisPrefix}call:{${callId}}:*`);
      expect(keys.length).toBeGreaterThanOrEqual(2);
      for (const key of keys) {
        const ttl = await redis.pttl(key);
        expect([key, ttl > 0 && ttl <= Timeouts.ENDED_CALL_OUTBOX_MS]).toEqual([key, true]);
      }
    } finally {
      await redis.quit();
    }
  });

  it('a party whose node died and who never comes back: the peer is told, and the call ends as connection-lost', async () => {
    const doomed = await platform.addGateway();
    const { caller, callId } = await connectedCall(platform.gateways[1], doomed);
    await doomed.stop('SIGKILL');
    // Nobody saw the socket drop; the lapsed carrier key gives the node's death away.
    expect(await caller.next('call:peer-reconnecting', (p) => p.callId === callId, 6000)).toMatchObject({ callId });
    expect(await caller.next('call:ended', (p) => p.callId === callId, GRACE_MS + 5000)).toMatchObject({
      callId,
      reason: 'connection-lost',
    });
  });

  it('a draining node (SIGTERM) tells its clients to reconnect elsewhere before it exits', async () => {
    const draining = await platform.addGateway();
    const { caller, callee, callId, callerAccepted } = await connectedCall(draining, platform.gateways[1]);
    const stopped = draining.stop('SIGTERM');
    expect(await caller.next('session:reconnect')).toEqual({ reason: 'draining' });
    // While it drains, the node takes nobody new (a balancer may still route a reconnect to it).
    const refused = await TestDevice.connect(draining.url, await platform.token(caller.userId), caller.userId, caller.deviceId).catch(
      (e: Error & { data?: { code: string } }) => e,
    );
    expect(refused).toMatchObject({ data: { code: 'NODE_DRAINING' } });
    await stopped;
    await callee.next('call:peer-reconnecting', (p) => p.callId === callId);
    const back = await platform.reconnect(caller, platform.gateways[0]);
    expect(await resume(back, callId, callerAccepted.resumeToken)).toMatchObject({ ok: true, data: { state: 'active' } });
    await callee.next('call:peer-resumed', (p) => p.callId === callId);
    await back.must('call:hangup', { callId });
  });
});

describe('two sockets of one device', () => {
  it('the socket that resumed last carries the call; the other keeps hearing the device but may not send', async () => {
    const { caller, callee, callId, callerAccepted } = await connectedCall();
    // The app opened a second socket (on another node) without closing the first, and resumed there.
    const second = await platform.reconnect(caller, platform.gateways[1]);
    const resumed = await resume(second, callId, callerAccepted.resumeToken);
    expect(resumed).toMatchObject({ ok: true, data: { state: 'active', role: 'caller' } });
    if (!resumed.ok) throw new Error('unreachable');
    await callee.next('call:peer-resumed', (p) => p.callId === callId);

    // The first socket no longer carries the call, on its own node or any other.
    for (const [event, payload] of [
      ['call:ice-candidate', { callId, candidate: candidate(1) }],
      ['call:ice-state', { callId, state: 'connected' }],
      ['call:ice-servers', { callId }],
    ] as const)
      expect([event, await caller.send(event, payload as never)]).toEqual([
        event,
        { ok: false, error: { code: 'NOT_A_PARTY', message: expect.any(String) } },
      ]);
    await second.must('call:ice-candidate', { callId, candidate: candidate(2) });
    await callee.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(2).candidate);
    expect(candidatesFor(callee, callId)).not.toContain(candidate(1).candidate);

    // Both sockets are still the device: what is addressed to it reaches both.
    await callee.must('call:ice-candidate', { callId, candidate: candidate(3) });
    await second.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(3).candidate);
    await caller.next('call:ice-candidate', (p) => p.candidate?.candidate === candidate(3).candidate);

    // The last resume wins: the first socket can take the call back with a token it holds.
    expect(await resume(caller, callId, resumed.data.resumeToken)).toMatchObject({ ok: true, data: { state: 'active' } });
    expect(await second.send('call:ice-candidate', { callId, candidate: candidate(4) })).toMatchObject({
      ok: false,
      error: { code: 'NOT_A_PARTY' },
    });
    await caller.must('call:hangup', { callId });
    await second.next('call:ended', (p) => p.callId === callId);
  });
});

describe('reconnecting before anyone answers, and both breaking at once', () => {
  it("a caller that drops while its call rings resumes with the invite's token, and makes the first offer", async () => {
    const tag = randomUUID().slice(0, 8);
    const caller = await platform.device(`rr-a-${tag}`, { deviceId: 'a-phone' });
    const callee = await platform.device(`rr-b-${tag}`, { deviceId: 'b-phone', gateway: platform.gateways[1] });
    const invited = await caller.must('call:invite', { calleeId: callee.userId, media: 'audio', idempotencyKey: `key-${tag}` });
    expect(invited.resumeToken).toEqual(expect.any(String));
    caller.close();
    await callee.must('call:accept', { callId: invited.callId }); // answered while the caller is away
    const back = await platform.reconnect(caller);
    expect(await resume(back, invited.callId, invited.resumeToken!)).toMatchObject({
      ok: true,
      data: { state: 'active', role: 'caller', peerDeviceId: 'b-phone' },
    });
    await back.must('call:sdp', { callId: invited.callId, description: { type: 'offer', sdp: 'v=0\r\n' } });
    await callee.next('call:sdp', (p) => p.callId === invited.callId);
    await back.must('call:hangup', { callId: invited.callId });
  });

  it('the media grace never ends a call while a party is away; it restarts when the party resumes', async () => {
    const { caller, callee, callId, callerAccepted } = await connectedCall();
    const t0 = Date.now();
    await callee.must('call:ice-state', { callId, state: 'failed' }); // both broke: a handover
    caller.close();
    await callee.next('call:peer-reconnecting', (p) => p.callId === callId);
    // Past the media grace (2.5 s), still within the caller's reconnection grace (4 s).
    await sleep(t0 + MEDIA_GRACE_MS + 200 - Date.now());
    expect((await platform.db.query('SELECT state FROM calls WHERE id = $1', [callId])).rows[0].state).toBe('active');
    const back = await platform.reconnect(caller);
    expect(await resume(back, callId, callerAccepted.resumeToken)).toMatchObject({ ok: true });
    await sleep(MEDIA_GRACE_MS - 1000); // the restarted media grace has not run out yet
    await back.must('call:ice-state', { callId, state: 'connected' });
    await callee.must('call:ice-state', { callId, state: 'connected' });
    await sleep(1500);
    expect((await platform.db.query('SELECT state FROM calls WHERE id = $1', [callId])).rows[0].state).toBe('active');
    await back.must('call:hangup', { callId });
  });
});

describe('media interruptions while signaling stays up', () => {
  it('relays ICE-restart offers from both sides with the server-assigned roles intact', async () => {
    const { caller, callee, callId, callerAccepted, calleeAccepted } = await connectedCall();
    expect([callerAccepted.polite, calleeAccepted.polite]).toEqual([false, true]);
    const fresh = await caller.must('call:ice-servers', { callId });
    expect(fresh.iceServers.length).toBeGreaterThan(0);
    // Both restart at once (each saw its own network change): perfect negotiation sorts it out on the
    // clients, so the server must relay both offers and keep the roles it assigned.
    await Promise.all([
      caller.must('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0\r\nrestart-a\r\n' }, iceRestart: true }),
      callee.must('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0\r\nrestart-b\r\n' }, iceRestart: true }),
    ]);
    const atCallee = await callee.next('call:sdp', (p) => p.callId === callId && p.iceRestart);
    const atCaller = await caller.next('call:sdp', (p) => p.callId === callId && p.iceRestart);
    expect(atCallee).toMatchObject({
      iceRestart: true,
      description: { sdp: 'v=0\r\nrestart-a\r\n' },
      iceServers: { iceServers: expect.any(Array) },
    });
    expect(atCaller).toMatchObject({ iceRestart: true, description: { sdp: 'v=0\r\nrestart-b\r\n' } });
    // The polite callee rolls back and answers; the caller's restart wins.
    await callee.must('call:sdp', { callId, description: { type: 'answer', sdp: 'v=0\r\nanswer-a\r\n' } });
    await caller.next('call:sdp', (p) => p.callId === callId && p.description.type === 'answer');
    const detail = await platform.timeline(callId, (t) => t.filter((x) => x === 'ice-restart').length === 2);
    expect(
      detail.timeline
        .filter((t) => t.type === 'ice-restart')
        .map((t) => t.actorUserId)
        .sort(),
    ).toEqual([callee.userId, caller.userId].sort());
    await caller.must('call:hangup', { callId });
  });

  it('media that recovers within the grace keeps the call', async () => {
    const { caller, callee, callId } = await connectedCall();
    await caller.must('call:ice-state', { callId, state: 'disconnected' });
    await sleep(800);
    await caller.must('call:ice-state', { callId, state: 'connected' });
    await callee.must('call:ice-state', { callId, state: 'connected' });
    await sleep(MEDIA_GRACE_MS + 1000);
    expect((await platform.db.query('SELECT state FROM calls WHERE id = $1', [callId])).rows[0].state).toBe('active');
    expect(caller.eventsFor(callId)).not.toContain('call:ended');
    const detail = await platform.timeline(callId, (t) => t.includes('media-recovered'));
    expect(detail.timeline.map((t) => t.type)).toEqual(expect.arrayContaining(['ice-state', 'media-down', 'media-recovered']));
    await caller.must('call:hangup', { callId });
  });

  it('media that stays failed past the grace ends the call as ice-failed', async () => {
    const { caller, callee, callId } = await connectedCall();
    await callee.must('call:ice-state', { callId, state: 'disconnected' });
    await callee.must('call:ice-state', { callId, state: 'failed' });
    expect(await caller.next('call:ended', (p) => p.callId === callId, MEDIA_GRACE_MS + 5000)).toMatchObject({
      callId,
      reason: 'ice-failed',
    });
    await callee.next('call:ended', (p) => p.callId === callId);
    expect((await platform.db.query('SELECT end_reason FROM calls WHERE id = $1', [callId])).rows[0].end_reason).toBe('ice-failed');
  });
});
