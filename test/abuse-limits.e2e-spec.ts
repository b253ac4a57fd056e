import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { DEFAULT_LIMITS, DEFAULT_MAX_DEVICES_PER_USER, DEFAULT_MAX_SOCKETS_PER_DEVICE, type DeviceView } from '#contracts';
import { Platform, TestDevice, iceCandidate } from '#testing';

// Issue 12's findings, each as an abusive client would play it, against the default limits.
const BUNDLE = 'com.example.calls';
const hexToken = () => randomBytes(32).toString('hex');
const key = () => `key-${randomUUID()}`;
const tag = () => randomUUID().slice(0, 8);
let platform: Platform;

beforeAll(async () => {
  platform = await Platform.start({ gateways: 2, ringTimeoutMs: 30_000 });
}, 60_000);
afterAll(async () => platform?.stop());

async function devicesOf(userId: string): Promise<DeviceView[]> {
  const response = await fetch(`${platform.calls.url}/devices`, { headers: { authorization: `Bearer ${await platform.token(userId)}` } });
  return (await response.json()) as DeviceView[];
}

async function register(userId: string, deviceId: string, voipToken: string | null = hexToken(), apnsToken: string | null = null) {
  const body = { platform: 'ios', voipToken, apnsToken, apnsEnvironment: 'sandbox', bundleId: BUNDLE, appVersion: '1.4.0' };
  return platform.registerDevice(userId, deviceId, body);
}

async function activeCall(gateway = platform.gateway) {
  const t = tag();
  const caller = await platform.device(`ab-caller-${t}`, { gateway });
  const callee = await platform.device(`ab-callee-${t}`, { gateway });
  const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: key() });
  await callee.must('call:accept', { callId });
  await caller.next('call:accepted', (p) => p.callId === callId);
  return { caller, callee, callId };
}

const refusal = (error: unknown) => (error as { data?: { code?: string } }).data?.code;

describe('ringing a phone in a loop', () => {
  it('invite-then-cancel from many accounts to one offline device sends at most the budgeted VoIP pushes and alerts', async () => {
    const calleeId = `ab-sleepy-${tag()}`;
    const voip = hexToken();
    const apns = hexToken();
    expect((await register(calleeId, 'phone', voip, apns)).status).toBe(200);
    const cycles = DEFAULT_LIMITS.PUSH_BUDGET_PER_DEVICE.points + 4;
    const skipped: string[] = [];
    for (let i = 0; i < cycles; i++) {
      // A fresh account each time: per-caller and per-pair invite limits do not apply, the budget must.
      const caller = await platform.device(`ab-looper-${tag()}`);
      const { callId } = await caller.must('call:invite', { calleeId, media: 'video', idempotencyKey: key() });
      // Cancel only once the push was decided and, if queued, delivered: a withdrawn push is no proof.
      const decided = await platform.timeline(callId, (types) => types.includes('push-queued') || types.includes('push-skipped'));
      const skip = decided.timeline.find((e) => e.type === 'push-skipped');
      if (skip) skipped.push(String((skip.data as { reason?: string }).reason));
      else await platform.apns!.waitFor((r) => r.token === voip && (r.payload as { callId?: string }).callId === callId);
      await caller.must('call:cancel', { callId });
      caller.close();
    }
    const pushes = platform.apns!.requestsFor(voip);
    expect(pushes).toHaveLength(DEFAULT_LIMITS.PUSH_BUDGET_PER_DEVICE.points);
    expect(skipped).toEqual(Array(cycles - pushes.length).fill('push-budget-exhausted'));
    // The missed-call alerts of those cancellations are budgeted apart, and land after the loop.
    await platform.apns!.waitFor(() => platform.apns!.requestsFor(apns).length >= DEFAULT_LIMITS.PUSH_BUDGET_PER_DEVICE.points);
    expect(platform.apns!.requestsFor(apns).length).toBeLessThanOrEqual(DEFAULT_LIMITS.PUSH_BUDGET_PER_DEVICE.points);
  }, 60_000);

  it('one caller is refused RATE_LIMITED past its per-callee and per-caller invite budgets, with a retry-after', async () => {
    const caller = await platform.device(`ab-redialer-${tag()}`);
    const invite = async (calleeId: string) => {
      const ack = await caller.send('call:invite', { calleeId, media: 'video', idempotencyKey: key() });
      if (ack.ok) await caller.must('call:cancel', { callId: ack.data.callId });
      return ack;
    };
    const target = `ab-target-${tag()}`;
    for (let i = 0; i < DEFAULT_LIMITS.RATE_LIMIT_INVITE_PAIR.points; i++) expect((await invite(target)).ok).toBe(true);
    const pairRefused = await invite(target);
    expect(pairRefused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    const pairWait = !pairRefused.ok ? pairRefused.error.retryAfterMs : undefined;
    expect(pairWait).toBeGreaterThan(0);
    expect(pairWait).toBeLessThanOrEqual(DEFAULT_LIMITS.RATE_LIMIT_INVITE_PAIR.seconds * 1000);

    // Other callees still ring, until the caller's own budget is spent (over both gateway nodes).
    const elsewhere = await platform.device(caller.userId, { gateway: platform.gateways[1] });
    const spent = DEFAULT_LIMITS.RATE_LIMIT_INVITE_PAIR.points;
    for (let i = spent; i < DEFAULT_LIMITS.RATE_LIMIT_INVITE_CALLER.points; i++) {
      const ack = await elsewhere.send('call:invite', { calleeId: `ab-other-${tag()}`, media: 'video', idempotencyKey: key() });
      expect(ack.ok).toBe(true);
      if (ack.ok) await elsewhere.must('call:cancel', { callId: ack.data.callId });
    }
    expect(await invite(`ab-other-${tag()}`)).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  }, 60_000);
});

describe('one socket flooding', () => {
  it('a flood of ICE candidates is answered RATE_LIMITED, then the socket is told and closed, while another call relays', async () => {
    const flood = await activeCall();
    const other = await activeCall();
    const closed = new Promise<string>((resolve) => flood.caller.socket.once('disconnect', resolve));
    const total = DEFAULT_LIMITS.RATE_LIMIT_RELAY.points * 3;
    const acks = await Promise.allSettled(
      Array.from({ length: total }, (_, i) =>
        flood.caller.send('call:ice-candidate', { callId: flood.callId, candidate: iceCandidate(i) }, 3000),
      ),
    );
    const answered = acks.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    const limited = answered.filter((a) => !a.ok && a.error.code === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
    for (const a of limited) if (!a.ok) expect(a.error.retryAfterMs).toBeLessThanOrEqual(DEFAULT_LIMITS.RATE_LIMIT_RELAY.seconds * 1000);
    expect(answered.filter((a) => a.ok).length).toBeLessThanOrEqual(DEFAULT_LIMITS.RATE_LIMIT_RELAY.points * 2);

    const closing = await flood.caller.next('session:closing');
    expect(closing.error.code).toBe('RATE_LIMITED');
    expect(await closed).toBe('io server disconnect');

    // The other call on the same node was never throttled.
    for (let i = 0; i < 20; i++) await other.caller.must('call:ice-candidate', { callId: other.callId, candidate: iceCandidate(i) });
    await other.callee.next('call:ice-candidate', (p) => p.candidate?.candidate === iceCandidate(19).candidate);
  }, 30_000);

  it('lifecycle messages have their own budget: a resync loop is refused without touching relays', async () => {
    const { caller, callId } = await activeCall();
    const left = DEFAULT_LIMITS.RATE_LIMIT_LIFECYCLE.points - 1; // the invite took one
    const acks = await Promise.all(Array.from({ length: left + 1 }, () => caller.send('call:state', { callId })));
    expect(acks.filter((a) => a.ok)).toHaveLength(left);
    expect(acks.at(-1)).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await caller.send('call:ice-candidate', { callId, candidate: iceCandidate(1) })).toMatchObject({ ok: true });
  });

  it('resumes have their own budget: one device resuming in a loop is refused with a retry-after, and still relays', async () => {
    const t = tag();
    const caller = await platform.device(`ab-caller-${t}`);
    const callee = await platform.device(`ab-resumer-${t}`);
    const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: key() });
    const { resumeToken } = await callee.must('call:accept', { callId });
    const { points, seconds } = DEFAULT_LIMITS.RATE_LIMIT_RESUME;
    // One at a time: a second resume in flight for the device is refused by another rule.
    for (let i = 0; i < points; i++) await callee.must('call:resume', { callId, resumeToken, lastSeq: callee.lastSeqOf(callId) });
    const refused = await callee.send('call:resume', { callId, resumeToken, lastSeq: callee.lastSeqOf(callId) });
    expect(refused).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    const wait = !refused.ok ? refused.error.retryAfterMs : undefined;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(seconds * 1000);
    await callee.must('call:ice-candidate', { callId, candidate: iceCandidate(1) });
    await caller.next('call:ice-candidate', (p) => p.callId === callId);
  });

  it('samples that used up the quality budget do not cost the call its final summary', async () => {
    const { caller, callee, callId } = await activeCall();
    const sample = { at: new Date().toISOString(), rttMs: 40 };
    const { points } = DEFAULT_LIMITS.RATE_LIMIT_QUALITY;
    const acks = await Promise.all(Array.from({ length: points + 1 }, () => caller.send('call:quality', { callId, sample })));
    expect(acks.at(-1)).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    await caller.must('call:hangup', { callId });
    await callee.next('call:ended', (p) => p.callId === callId);
    expect(await caller.send('call:quality', { callId, sample, final: true })).toMatchObject({ ok: true });
  });
});

describe('caps on devices and sockets', () => {
  it('300 device registrations for one user leave the most recent ones, at most the cap', async () => {
    const userId = `ab-hoarder-${tag()}`;
    const count = 300;
    for (let start = 0; start < count; start += 10)
      await Promise.all(Array.from({ length: 10 }, async (_, k) => expect((await register(userId, `dev-${start + k}`)).status).toBe(200)));
    const last = await register(userId, 'dev-last');
    expect(last.status).toBe(200);
    const kept = await devicesOf(userId);
    expect(kept).toHaveLength(DEFAULT_MAX_DEVICES_PER_USER);
    expect(kept.map((d) => d.deviceId)).toContain('dev-last');
    expect(kept.map((d) => d.deviceId)).not.toContain('dev-0');
  }, 60_000);

  it('sockets past the per-device cap are refused TOO_MANY_CONNECTIONS; closing one makes room', async () => {
    const userId = `ab-sockets-${tag()}`;
    const held: TestDevice[] = [];
    for (let i = 0; i < DEFAULT_MAX_SOCKETS_PER_DEVICE; i++) held.push(await platform.device(userId, { deviceId: 'phone' }));
    const refused = await platform.device(userId, { deviceId: 'phone' }).then(
      () => 'accepted',
      (error: unknown) => refusal(error),
    );
    expect(refused).toBe('TOO_MANY_CONNECTIONS');
    const gone = new Promise((resolve) => held[0]!.socket.once('disconnect', resolve));
    held[0]!.close();
    await gone;
    // The server notices the close a moment after the client does: wait for it to accept again.
    let again: TestDevice | null = null;
    for (let attempt = 0; !again && attempt < 20; attempt++)
      again = await platform.device(userId, { deviceId: 'phone' }).catch(async () => {
        await new Promise((r) => setTimeout(r, 50));
        return null;
      });
    expect(again?.socket.connected).toBe(true);
  });

  it('sockets past the per-user cap are refused, whatever device id they claim', async () => {
    const userId = `ab-fleet-${tag()}`;
    for (let i = 0; i < 20; i++) await platform.device(userId, { deviceId: `d-${i}` });
    const refused = await platform.device(userId, { deviceId: 'd-20' }).then(
      () => 'accepted',
      (error: unknown) => refusal(error),
    );
    expect(refused).toBe('TOO_MANY_CONNECTIONS');
  });
});

describe('identity', () => {
  it("registering another user's VoIP token is refused PUSH_TOKEN_IN_USE, and the victim keeps it", async () => {
    const victim = `ab-victim-${tag()}`;
    const attacker = `ab-thief-${tag()}`;
    const token = hexToken();
    expect((await register(victim, 'phone', token)).status).toBe(200);
    const taken = await register(attacker, 'phone', token);
    expect(taken).toMatchObject({ status: 409, body: { code: 'PUSH_TOKEN_IN_USE' } });
    expect((await devicesOf(victim)).map((d) => d.voipToken)).toEqual([token]);
    expect(await devicesOf(attacker)).toEqual([]);

    // Between one user's own devices the token still moves (a restored backup on a new phone).
    expect((await register(victim, 'new-phone', token)).status).toBe(200);
    const mine = await devicesOf(victim);
    expect(mine.find((d) => d.deviceId === 'new-phone')?.voipToken).toBe(token);
    expect(mine.find((d) => d.deviceId === 'phone')?.voipToken).toBeNull();
  });

  it('the same holds for the APNs token', async () => {
    const token = hexToken();
    const victim = `ab-victim-${tag()}`;
    expect((await register(victim, 'phone', hexToken(), token)).status).toBe(200);
    expect(await register(`ab-thief-${tag()}`, 'phone', hexToken(), token)).toMatchObject({
      status: 409,
      body: { code: 'PUSH_TOKEN_IN_USE' },
    });
    expect((await devicesOf(victim))[0]?.apnsToken).toBe(token);
  });

  it('call:quality for a call this socket never carried is refused; a party’s summary after the end is taken', async () => {
    const { caller, callee, callId } = await activeCall();
    const stranger = await platform.device(`ab-stranger-${tag()}`);
    const sample = { at: new Date().toISOString(), rttMs: 40 };
    expect(await stranger.send('call:quality', { callId, sample })).toMatchObject({ ok: false, error: { code: 'NOT_A_PARTY' } });
    await caller.must('call:hangup', { callId });
    await callee.next('call:ended', (p) => p.callId === callId);
    expect(await callee.send('call:quality', { callId, sample, final: true })).toMatchObject({ ok: true });
    expect(await caller.send('call:quality', { callId, sample, final: true })).toMatchObject({ ok: true });
    const detail = await platform.timeline(callId, (types) => types.filter((t) => t === 'quality-summary').length === 2);
    expect(
      detail.timeline
        .filter((e) => e.type === 'quality-summary')
        .map((e) => e.actorUserId)
        .sort(),
    ).toEqual([caller.userId, callee.userId].sort());
  });
});
