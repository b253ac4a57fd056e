import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Platform } from '#testing';

const key = () => `key-${randomUUID()}`;
const hexToken = () => randomBytes(32).toString('hex');
const BUNDLE = 'com.example.calls';
let platform: Platform;
let n = 0;

const scratch = mkdtempSync(join(tmpdir(), 'vc-push-'));
const faultFile = join(scratch, 'after-commit');

beforeAll(async () => {
  platform = await Platform.start({
    ringTimeoutMs: 30_000,
    env: { APNS_REQUEST_TIMEOUT_MS: '1500', FAULT_AFTER_COMMIT_FILE: faultFile },
  });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** A callee whose phone and iPad are registered for pushes but have no socket (app suspended). */
async function offlineCallee(options: { apnsTokens?: boolean } = {}) {
  n += 1;
  const calleeId = `sleepy-${n}`;
  const devices = { phone: { voip: hexToken(), apns: hexToken() }, ipad: { voip: hexToken(), apns: hexToken() } };
  for (const [deviceId, tokens] of Object.entries(devices)) {
    const registered = await platform.registerDevice(calleeId, deviceId, {
      platform: 'ios',
      voipToken: tokens.voip,
      apnsToken: options.apnsTokens ? tokens.apns : null,
      apnsEnvironment: 'sandbox',
      bundleId: BUNDLE,
      appVersion: '1.4.0',
    });
    expect(registered.status).toBe(200);
  }
  return { calleeId, devices };
}

async function invite(calleeId: string) {
  const caller = await platform.device(`caller-${randomUUID().slice(0, 6)}`, { name: 'Ada' });
  const started = Date.now();
  const result = await caller.must('call:invite', { calleeId, media: 'video', idempotencyKey: key() });
  return { caller, ...result, started };
}

describe('waking the callee with VoIP pushes', () => {
  it('an invite whose calls app dies between its commit and the push hand-off still wakes the callee, once', async () => {
    const { calleeId, devices } = await offlineCallee();
    const caller = await platform.device(`caller-${randomUUID().slice(0, 6)}`);
    const idempotencyKey = key();
    writeFileSync(faultFile, 'created');
    const died = platform.calls.exit;
    const first = await caller.send('call:invite', { calleeId, media: 'video', idempotencyKey });
    expect(first).toMatchObject({ ok: false, error: { code: 'CALLS_UNAVAILABLE' } });
    await died;
    await platform.restartCalls();
    // The app retries with the same key and gets the committed call; the push comes from the outbox.
    const { callId } = await caller.must('call:invite', { calleeId, media: 'video', idempotencyKey });
    const delivered = (token: string) => (r: { token: string | null; status: number | null; payload: unknown }) =>
      r.token === token && r.status === 200 && (r.payload as { callId?: string }).callId === callId;
    await Promise.all([platform.apns!.waitFor(delivered(devices.phone.voip)), platform.apns!.waitFor(delivered(devices.ipad.voip))]);
    expect(platform.apns!.requestsFor(devices.phone.voip).filter(delivered(devices.phone.voip))).toHaveLength(1);
    await caller.must('call:cancel', { callId });
  });

  it('pushes every registered device before the ring deadline, then one device answers', async () => {
    const { calleeId, devices } = await offlineCallee();
    const { caller, callId, ringDeadline, started } = await invite(calleeId);

    const [phonePush, ipadPush] = await Promise.all([
      platform.apns!.waitFor((r) => r.token === devices.phone.voip && r.status === 200),
      platform.apns!.waitFor((r) => r.token === devices.ipad.voip && r.status === 200),
    ]);
    const latencyMs = Math.max(phonePush.at.getTime(), ipadPush.at.getTime()) - started;
    console.log(`invite → both VoIP pushes received by the APNs sandbox: ${latencyMs.toFixed(0)} ms`);
    expect(phonePush.at.getTime()).toBeLessThan(Date.parse(ringDeadline));

    expect(phonePush.headers).toMatchObject({
      'apns-push-type': 'voip',
      'apns-topic': `${BUNDLE}.voip`,
      'apns-expiration': String(Math.floor(Date.parse(ringDeadline) / 1000)),
      'apns-id': expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    // apns2 leaves out apns-priority for 10, which APNs treats as 10 ("deliver now").
    expect(phonePush.headers['apns-priority'] ?? '10').toBe('10');
    expect(phonePush.payload).toEqual({
      aps: {},
      callId,
      callerId: caller.userId,
      callerName: 'Ada',
      media: 'video',
      ringDeadline,
      sentAt: expect.any(String),
    });
    expect(Buffer.byteLength(phonePush.body)).toBeLessThanOrEqual(5120);

    // Woken by the push, the phone connects, reports ringing and answers.
    const phone = await platform.device(calleeId, { deviceId: 'phone', appState: 'background' });
    await phone.must('call:ringing', { callId });
    await phone.must('call:accept', { callId });
    await caller.next('call:accepted', (p) => p.callId === callId);
    await caller.must('call:sdp', { callId, description: { type: 'offer', sdp: 'v=0\r\n' } });
    await phone.next('call:sdp', (p) => p.callId === callId);

    const detail = await platform.timeline(callId, (t) => t.filter((x) => x === 'push-attempt').length >= 2);
    const attempts = detail.timeline.filter((t) => t.type === 'push-attempt');
    expect(attempts.map((a) => a.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'voip',
          outcome: 'delivered',
          status: 200,
          apnsId: phonePush.apnsId,
          latencyMs: expect.any(Number),
        }),
      ]),
    );
    expect(new Set(attempts.map((a) => a.actorDeviceId))).toEqual(new Set(['phone', 'ipad']));

    await caller.must('call:hangup', { callId });
    phone.close();
    // Exactly one push per device: no duplicate, and no VoIP push for the hangup. The hangup was
    // committed before the next call, so the next call's push is the next thing each device gets.
    const next = await invite(calleeId);
    const forCall = (id: string) => (r: { payload: unknown }) => (r.payload as { callId?: string }).callId === id;
    await Promise.all(Object.values(devices).map((d) => platform.apns!.waitFor((r) => r.token === d.voip && forCall(next.callId)(r))));
    for (const d of Object.values(devices)) {
      expect(platform.apns!.requestsFor(d.voip).map((r) => (r.payload as { callId: string }).callId)).toEqual([callId, next.callId]);
    }
    await next.caller.must('call:cancel', { callId: next.callId });
  });

  it('cancel while ringing sends no VoIP push; an offline device gets a missed-call alert, a connected one does not', async () => {
    const { calleeId, devices } = await offlineCallee({ apnsTokens: true });
    const ipad = await platform.device(calleeId, { deviceId: 'ipad', appState: 'background' });
    const { caller, callId } = await invite(calleeId);
    await platform.apns!.waitFor((r) => r.token === devices.phone.voip && r.status === 200);
    await ipad.next('call:incoming', (p) => p.callId === callId);
    await caller.must('call:cancel', { callId });
    await ipad.next('call:ended', (p) => p.callId === callId);

    const alert = await platform.apns!.waitFor((r) => r.token === devices.phone.apns);
    expect(alert.headers).toMatchObject({ 'apns-push-type': 'alert', 'apns-topic': BUNDLE, 'apns-collapse-id': callId });
    expect(alert.payload).toMatchObject({ aps: { alert: { title: 'Missed call', body: 'Missed call from Ada' } }, callId });
    await new Promise((r) => setTimeout(r, 500));
    const voipPushes = platform.apns!.requests.filter(
      (r) => r.headers['apns-push-type'] === 'voip' && (r.payload as { callId?: string } | null)?.callId === callId,
    );
    expect(voipPushes.map((r) => r.token).sort()).toEqual([devices.phone.voip, devices.ipad.voip].sort());
    expect(platform.apns!.requestsFor(devices.ipad.apns)).toEqual([]);
  });

  it('skips the VoIP push for a device whose app is in the foreground', async () => {
    const { calleeId, devices } = await offlineCallee();
    const phone = await platform.device(calleeId, { deviceId: 'phone', appState: 'foreground' });
    const first = await invite(calleeId);
    const { callId } = first;
    await phone.next('call:incoming', (p) => p.callId === callId);
    await platform.apns!.waitFor((r) => r.token === devices.ipad.voip);
    const detail = await platform.timeline(callId, (t) => t.includes('push-skipped'));
    expect(detail.timeline.find((t) => t.type === 'push-skipped')).toMatchObject({
      actorDeviceId: 'phone',
      data: { reason: 'app-in-foreground' },
    });
    expect(platform.apns!.requestsFor(devices.phone.voip)).toEqual([]);

    // Once the app says it went to the background, the next call wakes it with a push too.
    await first.caller.must('call:cancel', { callId });
    await phone.must('session:app-state', { state: 'background' });
    const second = await invite(calleeId);
    await platform.apns!.waitFor((r) => r.token === devices.phone.voip && (r.payload as { callId?: string }).callId === second.callId);
    await second.caller.must('call:cancel', { callId: second.callId });
  });

  it('lets a woken app ask whether the call is still ringing', async () => {
    const { calleeId } = await offlineCallee();
    const { caller, callId } = await invite(calleeId);
    await caller.must('call:cancel', { callId });
    const state = await fetch(`${platform.calls.url}/calls/${callId}/state`, {
      headers: { authorization: `Bearer ${await platform.token(calleeId)}` },
    });
    expect(await state.json()).toMatchObject({ callId, state: 'ended', endReason: 'cancelled' });
    const stranger = await fetch(`${platform.calls.url}/calls/${callId}/state`, {
      headers: { authorization: `Bearer ${await platform.token('nosy')}` },
    });
    expect(stranger.status).toBe(404);
  });
});

describe('device registration', () => {
  const valid = () => ({
    platform: 'ios',
    voipToken: hexToken(),
    apnsToken: null,
    apnsEnvironment: 'production',
    bundleId: BUNDLE,
    appVersion: '2.0',
  });

  it.each([
    ['a token that is not hex', { voipToken: 'zz'.repeat(32) }],
    ['a token that is too short', { voipToken: 'ab'.repeat(8) }],
    ['an odd-length token', { voipToken: `${'ab'.repeat(32)}a` }],
    ['an unknown environment', { apnsEnvironment: 'staging' }],
    ['a bundle id that is not reverse-DNS', { bundleId: 'calls' }],
    ['an unknown platform', { platform: 'android' }],
    ['an extra field', { pushKitToken: hexToken() }],
    ['a missing field', { appVersion: undefined }],
  ])('refuses %s and stores nothing', async (_, change) => {
    const userId = `reg-${randomUUID().slice(0, 8)}`;
    const response = await platform.registerDevice(userId, 'phone', { ...valid(), ...change });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ code: 'VALIDATION_FAILED', message: expect.any(String) });
    expect((await platform.db.query('SELECT count(*)::int AS n FROM devices WHERE user_id = $1', [userId])).rows[0].n).toBe(0);
  });

  it('refuses an unauthenticated registration', async () => {
    const response = await fetch(`${platform.calls.url}/devices/phone`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(valid()),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'AUTH_TOKEN_MISSING' });
  });

  it("refreshes a device in place and moves a token between one user's devices, never to another user", async () => {
    const body = valid();
    expect((await platform.registerDevice('mover-1', 'old-phone', body)).status).toBe(200);
    expect((await platform.registerDevice('mover-1', 'old-phone', { ...body, appVersion: '2.1' })).status).toBe(200);
    // The same account on a phone restored from a backup: the token follows the new registration.
    expect((await platform.registerDevice('mover-1', 'new-phone', body)).status).toBe(200);
    // Someone else signing in on that phone before mover-1 signed out is refused: mover-1 keeps it.
    const taken = await platform.registerDevice('mover-2', 'their-phone', body);
    expect(taken).toMatchObject({ status: 409, body: { code: 'PUSH_TOKEN_IN_USE' } });
    const devices = () =>
      platform.db
        .query('SELECT user_id, device_id, voip_token, app_version FROM devices WHERE user_id LIKE $1 ORDER BY user_id, device_id', [
          'mover-%',
        ])
        .then((r) => r.rows);
    expect(await devices()).toEqual([
      { user_id: 'mover-1', device_id: 'new-phone', voip_token: body.voipToken, app_version: '2.0' },
      { user_id: 'mover-1', device_id: 'old-phone', voip_token: null, app_version: '2.1' },
    ]);
    // Once mover-1 signs out on it, the phone's token is free for the next account.
    const removed = await fetch(`${platform.calls.url}/devices/new-phone`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await platform.token('mover-1')}` },
    });
    expect(removed.status).toBe(204);
    expect((await platform.registerDevice('mover-2', 'their-phone', body)).status).toBe(200);
    expect((await devices()).find((d) => d.user_id === 'mover-2')).toMatchObject({ voip_token: body.voipToken });
  });
});

describe('a notifier crash mid-push', () => {
  it('delivers the push once the notifier is back, exactly once', async () => {
    const { calleeId, devices } = await offlineCallee();
    // The first attempt hangs at APNs: the job is in flight when the notifier dies.
    platform.apns!.script(devices.phone.voip, { hang: true, times: 1 });
    const { caller, callId } = await invite(calleeId);
    await platform.apns!.waitFor((r) => r.token === devices.phone.voip && r.outcome === 'hung');
    await platform.apns!.waitFor((r) => r.token === devices.ipad.voip && r.status === 200);
    await new Promise((r) => setTimeout(r, 100));
    await platform.killNotifier();
    await platform.restartNotifier();

    // Bull sees the dead worker's lock lapse and hands the job to the new notifier.
    const delivered = await platform.apns!.waitFor((r) => r.token === devices.phone.voip && r.status === 200, 25_000);
    expect((delivered.payload as { callId: string }).callId).toBe(callId);
    await new Promise((r) => setTimeout(r, 500));
    expect(platform.apns!.requestsFor(devices.phone.voip).filter((r) => r.status === 200)).toHaveLength(1);
    expect(platform.apns!.requestsFor(devices.ipad.voip).filter((r) => r.status === 200)).toHaveLength(1);
    await caller.must('call:cancel', { callId });
  }, 40_000);
});
