import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { CALL_MILESTONES_QUEUE, type CallDetailView, type CallMilestonesJob, type CallPage } from '#contracts';
import { Platform, type TestDevice } from '#testing';

const key = () => `key-${randomUUID()}`;
const offer = { type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n' };
const answer = { type: 'answer' as const, sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\n' };
const candidate = { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 };

let platform: Platform;
let n = 0;
/** Fresh users per test, so one test's open call never makes another's callee busy. */
async function parties() {
  n += 1;
  const caller = await platform.device(`alice-${n}`, { name: 'Alice' });
  // The callee's devices sit on another gateway node than the caller's.
  const phone = await platform.device(`bob-${n}`, { deviceId: 'bob-phone', gateway: platform.gateways[1] });
  const ipad = await platform.device(`bob-${n}`, { deviceId: 'bob-ipad', gateway: platform.gateways[1] });
  return { caller, phone, ipad, calleeId: `bob-${n}` };
}

async function ring(caller: TestDevice, calleeId: string, media: 'video' | 'audio' = 'video') {
  const invited = await caller.must('call:invite', { calleeId, media, idempotencyKey: key() });
  return invited.callId;
}

beforeAll(async () => {
  platform = await Platform.start({ ringTimeoutMs: 1500, gateways: 2 });
}, 60_000);
afterAll(async () => platform?.stop());

describe('a one-on-one call through the real apps', () => {
  it('rings every callee device, connects one, relays the negotiation, hangs up and is recorded', async () => {
    const { caller, phone, ipad, calleeId } = await parties();
    const callId = await ring(caller, calleeId);

    const incoming = await phone.next('call:incoming', (p) => p.callId === callId);
    expect(incoming).toMatchObject({ caller: { userId: caller.userId, displayName: 'Alice' }, media: 'video' });
    await ipad.next('call:incoming', (p) => p.callId === callId);

    await phone.must('call:ringing', { callId });
    await ipad.must('call:ringing', { callId });
    await caller.next('call:ringing', (p) => p.callId === callId);

    // The ok alone makes the phone the carrier: it holds everything call:accepted would bring.
    const acceptSentAt = Date.now();
    expect(await phone.must('call:accept', { callId })).toMatchObject({
      callId,
      state: 'active',
      role: 'callee',
      polite: true,
      peerDeviceId: caller.deviceId,
      resumeToken: expect.any(String),
      iceServers: { iceServers: expect.any(Array) },
    });
    expect(await caller.next('call:accepted', (p) => p.callId === callId)).toMatchObject({
      callId,
      answeredDeviceId: 'bob-phone',
      role: 'caller',
      polite: false,
    });
    expect(await phone.next('call:accepted', (p) => p.callId === callId)).toMatchObject({ role: 'callee' });
    await ipad.next('call:answered-elsewhere', (p) => p.callId === callId);

    await caller.must('call:sdp', { callId, description: offer });
    expect(await phone.next('call:sdp', (p) => p.callId === callId)).toEqual({
      callId,
      description: offer,
      iceRestart: false,
      seq: 1,
      epoch: expect.any(Number),
    });
    await phone.must('call:sdp', { callId, description: answer });
    expect(await caller.next('call:sdp', (p) => p.callId === callId)).toEqual({
      callId,
      description: answer,
      iceRestart: false,
      seq: 1,
      epoch: expect.any(Number),
    });
    // Swift's UUID().uuidString is uppercase; the gateway treats ids case-insensitively.
    await caller.must('call:ice-candidate', { callId: callId.toUpperCase(), candidate });
    await caller.must('call:ice-candidate', { callId, candidate: null });
    expect(await phone.next('call:ice-candidate', (p) => p.callId === callId && p.candidate === null)).toEqual({
      callId,
      candidate: null,
      seq: 3,
      epoch: expect.any(Number),
    });
    expect(phone.eventsFor(callId).filter((e) => e === 'call:ice-candidate')).toHaveLength(2);
    await phone.must('call:media-state', { callId, state: { camera: 'back', videoEnabled: true, audioMuted: false } });
    expect(await caller.next('call:media-state', (p) => p.callId === callId)).toMatchObject({ state: { camera: 'back' } });

    // Milestones arrive through a queue, and one that arrives after the end is dropped: wait for them.
    const milestones = ['offer-relayed', 'answer-relayed', 'end-of-candidates', 'media-state'];
    await platform.timeline(callId, (t) => milestones.every((m) => t.includes(m)));
    expect(await caller.must('call:hangup', { callId })).toEqual({ callId, state: 'ended' });
    expect(await phone.next('call:ended', (p) => p.callId === callId)).toMatchObject({ callId, reason: 'completed' });
    await caller.next('call:ended', (p) => p.callId === callId);
    // The iPad stopped ringing at answered-elsewhere and hears nothing more about this call.
    expect(ipad.eventsFor(callId)).toEqual(['call:incoming', 'call:answered-elsewhere']);

    const { rows } = await platform.db.query('SELECT state, end_reason, duration_ms, answered_device_id FROM calls WHERE id = $1', [
      callId,
    ]);
    expect(rows[0]).toMatchObject({ state: 'ended', end_reason: 'completed', answered_device_id: 'bob-phone' });
    expect(rows[0].duration_ms).toBeGreaterThan(0);
    expect(rows[0].duration_ms).toBeLessThanOrEqual(Date.now() - acceptSentAt);

    const detail = (await platform.admin<CallDetailView>(`/calls/${callId}`)).body;
    const types = detail.timeline.map((t) => t.type);
    expect(types).toEqual(expect.arrayContaining(['invited', 'ringing', 'accepted', ...milestones, 'hung-up']));
    expect(types.slice(0, 4)).toEqual(['invited', 'ringing', 'ringing', 'accepted']);
    expect(types.at(-1)).toBe('hung-up');
    expect(detail.timeline.map((t) => t.seq)).toEqual(types.map((_, i) => i + 1));
  });

  it('decline: the caller hears declined, the other device hears declined-elsewhere', async () => {
    const { caller, phone, ipad, calleeId } = await parties();
    const callId = await ring(caller, calleeId);
    await ipad.next('call:incoming', (p) => p.callId === callId);
    expect(await phone.must('call:decline', { callId })).toEqual({ callId, state: 'ended' });
    expect(await caller.next('call:ended', (p) => p.callId === callId)).toMatchObject({ callId, reason: 'declined' });
    await ipad.next('call:declined-elsewhere', (p) => p.callId === callId);
    await phone.next('call:ended', (p) => p.callId === callId);
    expect(ipad.eventsFor(callId)).toEqual(['call:incoming', 'call:declined-elsewhere']);
    const { rows } = await platform.db.query('SELECT end_reason, duration_ms FROM calls WHERE id = $1', [callId]);
    expect(rows[0]).toEqual({ end_reason: 'declined', duration_ms: 0 });
  });

  it('cancel while ringing stops every callee device; a late accept is refused and changes nothing', async () => {
    const { caller, phone, ipad, calleeId } = await parties();
    const callId = await ring(caller, calleeId);
    await phone.must('call:ringing', { callId });
    expect(await caller.must('call:cancel', { callId })).toEqual({ callId, state: 'ended' });
    expect(await phone.next('call:ended', (p) => p.callId === callId)).toMatchObject({ callId, reason: 'cancelled' });
    expect(await ipad.next('call:ended', (p) => p.callId === callId)).toMatchObject({ callId, reason: 'cancelled' });

    const late = await ipad.send('call:accept', { callId });
    expect(late).toEqual({ ok: false, error: { code: 'CALL_ALREADY_ENDED', message: expect.any(String) } });
    expect(await caller.send('call:hangup', { callId })).toMatchObject({ ok: false, error: { code: 'CALL_ALREADY_ENDED' } });
    const { rows } = await platform.db.query('SELECT state, end_reason, answered_device_id FROM calls WHERE id = $1', [callId]);
    expect(rows[0]).toEqual({ state: 'ended', end_reason: 'cancelled', answered_device_id: null });
  });

  it('busy: calling someone who is in a call ends at once as busy and does not disturb them', async () => {
    const { caller, phone, ipad, calleeId } = await parties();
    const callId = await ring(caller, calleeId);
    await phone.must('call:accept', { callId });
    const carol = await platform.device(`carol-${n}`);

    const busy = await carol.must('call:invite', { calleeId, media: 'audio', idempotencyKey: key() });
    expect(busy).toMatchObject({ state: 'ended', role: 'caller', merged: false });
    expect(await carol.next('call:ended', (p) => p.callId === busy.callId)).toMatchObject({ callId: busy.callId, reason: 'busy' });
    await new Promise((r) => setTimeout(r, 200));
    expect(phone.eventsFor(busy.callId)).toEqual([]);
    expect(ipad.eventsFor(busy.callId)).toEqual([]);
    const { rows } = await platform.db.query('SELECT state, end_reason FROM calls WHERE id = $1', [busy.callId]);
    expect(rows[0]).toEqual({ state: 'ended', end_reason: 'busy' });
    // The ongoing call is untouched.
    expect((await platform.db.query('SELECT state FROM calls WHERE id = $1', [callId])).rows[0].state).toBe('active');
  });

  it('busy: a callee who is only ringing, or only placing a call, counts as busy too', async () => {
    const { caller, phone, ipad, calleeId } = await parties();
    const ringingCall = await ring(caller, calleeId);
    await phone.next('call:incoming', (p) => p.callId === ringingCall);
    const carol = await platform.device(`carol-${n}`);
    const busy = await carol.must('call:invite', { calleeId, media: 'audio', idempotencyKey: key() });
    expect(busy).toMatchObject({ state: 'ended', role: 'caller', merged: false });
    expect(await carol.next('call:ended', (p) => p.callId === busy.callId)).toMatchObject({ reason: 'busy' });

    // The callee's own outgoing call, still ringing someone else, makes it busy as well.
    const dave = await platform.device(`dave-${n}`);
    const outgoing = await carol.must('call:invite', { calleeId: dave.userId, media: 'audio', idempotencyKey: key() });
    await dave.next('call:incoming', (p) => p.callId === outgoing.callId);
    const erin = await platform.device(`erin-${n}`);
    const busyToo = await erin.must('call:invite', { calleeId: carol.userId, media: 'audio', idempotencyKey: key() });
    expect(await erin.next('call:ended', (p) => p.callId === busyToo.callId)).toMatchObject({ reason: 'busy' });

    // Nobody was disturbed: the ringing call still rings, and the busy ones never reached the callees.
    await phone.must('call:accept', { callId: ringingCall });
    await ipad.next('call:answered-elsewhere', (p) => p.callId === ringingCall);
    expect(phone.eventsFor(busy.callId)).toEqual([]);
    expect(carol.eventsFor(busyToo.callId)).toEqual([]);
    await caller.must('call:hangup', { callId: ringingCall });
    await carol.must('call:cancel', { callId: outgoing.callId });
  });

  it('after the end nothing reads as if the call went on: relays are refused, late relay milestones dropped', async () => {
    const { caller, phone, calleeId } = await parties();
    const callId = await ring(caller, calleeId);
    await phone.must('call:accept', { callId });
    await caller.next('call:accepted', (p) => p.callId === callId);
    const mediaState = { callId, state: { camera: 'front' as const, videoEnabled: false, audioMuted: true } };
    expect(await caller.must('call:hangup', { callId })).toEqual({ callId, state: 'ended' });
    // The hangup's ack is final for the socket that sent it, even before its call:ended arrives.
    expect(await caller.send('call:media-state', mediaState)).toMatchObject({ ok: false, error: { code: 'NOT_A_PARTY' } });
    await phone.next('call:ended', (p) => p.callId === callId);
    expect(await phone.send('call:media-state', mediaState)).toMatchObject({ ok: false, error: { code: 'NOT_A_PARTY' } });

    // A milestone still in the gateway's queue when the call ended reaches the calls app after it:
    // it is dropped, while a quality summary (sent at hangup by design) queued behind it is kept.
    const queue = platform.queue<CallMilestonesJob>(CALL_MILESTONES_QUEUE);
    try {
      const from = { callId, actorUserId: phone.userId, actorDeviceId: phone.deviceId, at: new Date().toISOString() };
      await queue.add({
        milestones: [
          { ...from, type: 'media-state', data: mediaState.state },
          { ...from, type: 'quality-summary', data: { rttMs: 12 } },
        ],
      });
    } finally {
      await queue.close();
    }
    const detail = await platform.timeline(callId, (t) => t.includes('quality-summary'));
    expect(detail.timeline.map((t) => t.type).slice(-2)).toEqual(['hung-up', 'quality-summary']);
    expect(detail.qualitySummary).toEqual({ callee: { rttMs: 12 } });
  });

  it('missed: nobody answers before the ring deadline, on any gateway node', async () => {
    const { caller, phone, ipad, calleeId } = await parties();
    const callId = await ring(caller, calleeId);
    const incoming = await phone.next('call:incoming', (p) => p.callId === callId);
    expect(Date.parse(incoming.ringDeadline) - Date.parse(incoming.createdAt)).toBe(1500);
    await phone.must('call:ringing', { callId });
    expect(await caller.next('call:ended', (p) => p.callId === callId, 6000)).toMatchObject({ callId, reason: 'missed' });
    expect(await phone.next('call:ended', (p) => p.callId === callId)).toMatchObject({ callId, reason: 'missed' });
    expect(await ipad.next('call:ended', (p) => p.callId === callId)).toMatchObject({ callId, reason: 'missed' });
    const { rows } = await platform.db.query('SELECT state, end_reason FROM calls WHERE id = $1', [callId]);
    expect(rows[0]).toEqual({ state: 'ended', end_reason: 'missed' });
  });

  it('the same invite sent twice makes one call', async () => {
    const { caller, phone, calleeId } = await parties();
    const idempotencyKey = key();
    const [first, second] = await Promise.all([
      caller.must('call:invite', { calleeId, media: 'video', idempotencyKey }),
      caller.must('call:invite', { calleeId, media: 'video', idempotencyKey }),
    ]);
    expect(second.callId).toBe(first.callId);
    const third = await caller.must('call:invite', { calleeId, media: 'video', idempotencyKey });
    expect(third.callId).toBe(first.callId);
    const { rows } = await platform.db.query('SELECT count(*)::int AS n FROM calls WHERE caller_id = $1', [caller.userId]);
    expect(rows[0].n).toBe(1);
    await phone.next('call:incoming', (p) => p.callId === first.callId);
    await new Promise((r) => setTimeout(r, 200));
    expect(phone.eventsFor(first.callId)).toEqual(['call:incoming']);
    await caller.must('call:cancel', { callId: first.callId });
  });

  it('nobody can call themselves', async () => {
    const { caller } = await parties();
    const ack = await caller.send('call:invite', { calleeId: caller.userId, media: 'video', idempotencyKey: key() });
    expect(ack).toEqual({ ok: false, error: { code: 'SELF_CALL', message: expect.any(String) } });
  });

  it('admins can list the call history by user', async () => {
    const { caller, calleeId } = await parties();
    const callId = await ring(caller, calleeId);
    await caller.must('call:cancel', { callId });
    const list = await platform.admin<CallPage>(`/calls?userId=${calleeId}`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ items: [expect.objectContaining({ id: callId, endReason: 'cancelled' })], nextCursor: null });
    const denied = await fetch(`${platform.calls.url}/calls`);
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
