import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Platform, type TestDevice } from '#testing';

const CONNECT_TIMEOUT_MS = 2500;
const candidate = (n: number) => ({
  candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${50000 + n} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});
let platform: Platform;

beforeAll(async () => {
  platform = await Platform.start({ gateways: 2, notifier: false, env: { CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS) } });
}, 60_000);
afterAll(async () => platform?.stop());

async function ringingCall(calleeNode = platform.gateways[1]!) {
  const tag = randomUUID().slice(0, 8);
  const caller = await platform.device(`d-alice-${tag}`, { deviceId: 'alice-phone', gateway: platform.gateways[0] });
  const callee = await platform.device(`d-bob-${tag}`, { deviceId: 'bob-phone', gateway: calleeNode });
  const invite = await caller.must('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: `key-${tag}` });
  await callee.next('call:incoming', (p) => p.callId === invite.callId);
  return { caller, callee, callId: invite.callId, invite };
}

const connected = (callId: string, ...devices: TestDevice[]) =>
  Promise.all(devices.map((d) => d.must('call:ice-state', { callId, state: 'connected' })));

describe('acks mean what they say', () => {
  it('the answering device relays at once after its accept ack, before its own call:accepted', async () => {
    // The race used to lose 40–60 % of first relays; ten calls in a row would show it.
    for (let i = 0; i < 10; i++) {
      const { caller, callee, callId } = await ringingCall();
      const accepted = await callee.must('call:accept', { callId });
      expect(await callee.send('call:ice-candidate', { callId, candidate: candidate(i) })).toMatchObject({ ok: true });
      expect(await caller.next('call:ice-candidate', (p) => p.callId === callId)).toMatchObject({ seq: 1, candidate: candidate(i) });
      // The ack's resume token works like the one call:accepted brings.
      const back = await platform.reconnect(callee, platform.gateways[0]);
      callee.close();
      expect(await back.send('call:resume', { callId, resumeToken: accepted.resumeToken, lastSeq: 0 })).toMatchObject({ ok: true });
      await caller.must('call:hangup', { callId });
    }
  });

  it('an accept repeated by the device that answered (its first ack was lost) is ok again and changes nothing', async () => {
    const { caller, callee, callId } = await ringingCall();
    const first = await callee.must('call:accept', { callId });
    const again = await callee.must('call:accept', { callId });
    expect(again).toMatchObject({ callId, state: 'active', role: 'callee', version: first.version });
    await caller.next('call:accepted', (p) => p.callId === callId);
    const { body } = await platform.admin<{ timeline: { type: string }[] }>(`/calls/${callId}`);
    expect(body.timeline.filter((t) => t.type === 'accepted')).toHaveLength(1);
    await caller.must('call:hangup', { callId });
  });
});

describe('clients resync', () => {
  it('call:state answers the parties with the state and version, and strangers with CALL_NOT_FOUND', async () => {
    const { caller, callee, callId } = await ringingCall();
    const accepted = await callee.must('call:accept', { callId });
    expect(await caller.must('call:state', { callId })).toMatchObject({
      callId,
      state: 'active',
      answeredDeviceId: 'bob-phone',
      version: accepted.version,
    });
    const stranger = await platform.device(`stranger-${randomUUID().slice(0, 6)}`);
    expect(await stranger.send('call:state', { callId })).toMatchObject({ ok: false, error: { code: 'CALL_NOT_FOUND' } });
    await caller.must('call:hangup', { callId });
  });

  it('every lifecycle event carries the call version, growing with each change', async () => {
    const { caller, callee, callId } = await ringingCall();
    const incoming = await callee.next('call:incoming', (p) => p.callId === callId);
    await callee.must('call:ringing', { callId });
    const ringing = await caller.next('call:ringing', (p) => p.callId === callId);
    await callee.must('call:accept', { callId });
    const accepted = await caller.next('call:accepted', (p) => p.callId === callId);
    await caller.must('call:hangup', { callId });
    const ended = await callee.next('call:ended', (p) => p.callId === callId);
    const versions = [incoming.version, ringing.version, accepted.version, ended.version];
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(4);
  });
});

describe('deadlines kept by Postgres', () => {
  it('an answered call whose media never connects ends as failed, and both phones are told', async () => {
    const { caller, callee, callId } = await ringingCall();
    await callee.must('call:accept', { callId });
    await callee.must('call:ice-state', { callId, state: 'checking' });
    expect(await caller.next('call:ended', (p) => p.callId === callId, CONNECT_TIMEOUT_MS + 5000)).toMatchObject({ reason: 'failed' });
    expect(await callee.next('call:ended', (p) => p.callId === callId)).toMatchObject({ reason: 'failed' });
    const { rows } = await platform.db.query('SELECT end_reason, answered_at, ended_at FROM calls WHERE id = $1', [callId]);
    expect(rows[0].end_reason).toBe('failed');
    expect(rows[0].ended_at - rows[0].answered_at).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS);
  });

  it('a call whose media connected is not touched by the connect deadline', async () => {
    const { caller, callee, callId } = await ringingCall();
    await callee.must('call:accept', { callId });
    await connected(callId, callee);
    // A second call answered after this one fails on its connect deadline: the positive signal that
    // the deadline check has run past this call's deadline too.
    const later = await ringingCall();
    await later.callee.must('call:accept', { callId: later.callId });
    await later.caller.next('call:ended', (p) => p.callId === later.callId, CONNECT_TIMEOUT_MS + 5000);
    expect((await caller.must('call:state', { callId })).state).toBe('active');
    await caller.must('call:hangup', { callId });
    expect(await callee.next('call:ended', (p) => p.callId === callId)).toMatchObject({ reason: 'completed' });
  });
});

describe('stale drops', () => {
  it("a party's old socket closing after it resumed on another node changes nothing", async () => {
    const { caller, callee, callId } = await ringingCall();
    const accepted = await callee.must('call:accept', { callId });
    await caller.next('call:accepted', (p) => p.callId === callId);
    await connected(callId, caller, callee);
    // The callee's phone changed networks: a new socket on node 1 resumes while the old one on
    // node 2 is still open (its node has not noticed yet).
    const back = await platform.reconnect(callee, platform.gateways[0]);
    await back.must('call:resume', { callId, resumeToken: accepted.resumeToken, lastSeq: 0 });
    callee.close(); // node 2 notices the old socket only now
    await back.must('call:ice-candidate', { callId, candidate: candidate(1) });
    await caller.next('call:ice-candidate', (p) => p.callId === callId);
    await caller.must('call:hangup', { callId });
    await back.next('call:ended', (p) => p.callId === callId);
    expect(caller.eventsFor(callId)).not.toContain('call:peer-reconnecting');
    const { body } = await platform.admin<{ timeline: { type: string }[] }>(`/calls/${callId}`);
    const types = body.timeline.map((t) => t.type);
    expect(types.slice(types.indexOf('resumed'))).not.toContain('disconnected');
  });
});
