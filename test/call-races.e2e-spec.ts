import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Platform } from '#testing';

const key = () => `key-${randomUUID()}`;
let platform: Platform;

beforeAll(async () => {
  platform = await Platform.start({ ringTimeoutMs: 2000, gateways: 2 });
}, 60_000);
afterAll(async () => platform?.stop());

describe('races the server settles', () => {
  it('glare: two people calling each other at once get one call, connected', async () => {
    for (let round = 0; round < 5; round += 1) {
      const ann = await platform.device(`ann-${round}`, { deviceId: 'ann-phone' });
      const ben = await platform.device(`ben-${round}`, { deviceId: 'ben-phone', gateway: platform.gateways[1] });
      const [a, b] = await Promise.all([
        ann.must('call:invite', { calleeId: ben.userId, media: 'video', idempotencyKey: key() }),
        ben.must('call:invite', { calleeId: ann.userId, media: 'video', idempotencyKey: key() }),
      ]);
      expect(a.callId).toBe(b.callId);
      expect([a.merged, b.merged].sort()).toEqual([false, true]);
      expect(a.state === 'active' || b.state === 'active').toBe(true);
      const roles = [a.role, b.role].sort();
      expect(roles).toEqual(['callee', 'caller']);

      const [annAccepted, benAccepted] = await Promise.all([
        ann.next('call:accepted', (p) => p.callId === a.callId),
        ben.next('call:accepted', (p) => p.callId === a.callId),
      ]);
      expect([annAccepted.role, benAccepted.role].sort()).toEqual(['callee', 'caller']);
      const { rows } = await platform.db.query('SELECT id, state FROM calls WHERE caller_id IN ($1, $2) AND callee_id IN ($1, $2)', [
        ann.userId,
        ben.userId,
      ]);
      expect(rows).toEqual([{ id: a.callId, state: 'active' }]);

      // The merged call carries media: the caller's offer reaches the other side.
      const offerer = annAccepted.role === 'caller' ? ann : ben;
      const answerer = offerer === ann ? ben : ann;
      await offerer.must('call:sdp', { callId: a.callId, description: { type: 'offer', sdp: 'v=0\r\n' } });
      await answerer.next('call:sdp', (p) => p.callId === a.callId);
      await offerer.must('call:hangup', { callId: a.callId });
    }
  });

  it('two devices accepting at once: exactly one wins, the other hears answered-elsewhere', async () => {
    for (let round = 0; round < 5; round += 1) {
      const caller = await platform.device(`cal-${round}`);
      const phone = await platform.device(`cee-${round}`, { deviceId: 'phone' });
      const ipad = await platform.device(`cee-${round}`, { deviceId: 'ipad', gateway: platform.gateways[1] });
      const { callId } = await caller.must('call:invite', { calleeId: phone.userId, media: 'video', idempotencyKey: key() });
      await Promise.all([phone.next('call:incoming'), ipad.next('call:incoming')]);

      const acks = await Promise.all([phone.send('call:accept', { callId }), ipad.send('call:accept', { callId })]);
      const winners = acks.filter((a) => a.ok);
      const losers = acks.filter((a) => !a.ok);
      expect(winners).toHaveLength(1);
      expect(losers).toEqual([{ ok: false, error: { code: 'ANSWERED_ELSEWHERE', message: expect.any(String) } }]);
      const [winner, loser] = acks[0]!.ok ? [phone, ipad] : [ipad, phone];
      await loser.next('call:answered-elsewhere', (p) => p.callId === callId);
      expect(await caller.next('call:accepted', (p) => p.callId === callId)).toMatchObject({ answeredDeviceId: winner.deviceId });

      const { rows } = await platform.db.query('SELECT state, answered_device_id FROM calls WHERE id = $1', [callId]);
      expect(rows[0]).toEqual({ state: 'active', answered_device_id: winner.deviceId });
      // The loser cannot relay into the call it lost.
      expect(await loser.send('call:sdp', { callId, description: { type: 'answer', sdp: 'v=0\r\n' } })).toMatchObject({
        ok: false,
        error: { code: 'NOT_A_PARTY' },
      });
      await caller.must('call:hangup', { callId });
    }
  });

  it('the ring deadline survives a calls app crash', async () => {
    const caller = await platform.device('crash-caller');
    const callee = await platform.device('crash-callee', { gateway: platform.gateways[1] });
    const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'audio', idempotencyKey: key() });
    await callee.next('call:incoming', (p) => p.callId === callId);

    await platform.killCalls();
    await new Promise((r) => setTimeout(r, 2500)); // the deadline passes while nobody is there
    expect(caller.eventsFor(callId)).toEqual([]);
    await platform.restartCalls();

    expect(await caller.next('call:ended', (p) => p.callId === callId, 10_000)).toMatchObject({ callId, reason: 'missed' });
    expect(await callee.next('call:ended', (p) => p.callId === callId)).toMatchObject({ callId, reason: 'missed' });
  });
});
