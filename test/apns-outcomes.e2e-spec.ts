import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import type { TimelineEntryView } from '#contracts';
import { Platform } from '#testing';

const RING_MS = 6000;
const BUNDLE = 'com.example.calls';
let platform: Platform;

beforeAll(async () => {
  platform = await Platform.start({ ringTimeoutMs: RING_MS, env: { APNS_REQUEST_TIMEOUT_MS: '1000' } });
}, 60_000);
afterAll(async () => platform?.stop());

/** One offline device, its VoIP token scripted at the sandbox, then a call to it. */
async function callScripted(script: Parameters<NonNullable<Platform['apns']>['script']>[1] | null, options: { bundleId?: string } = {}) {
  const calleeId = `o-${randomUUID().slice(0, 8)}`;
  const token = randomBytes(32).toString('hex');
  const registered = await platform.registerDevice(calleeId, 'phone', {
    platform: 'ios',
    voipToken: token,
    apnsToken: null,
    apnsEnvironment: 'production',
    bundleId: options.bundleId ?? BUNDLE,
    appVersion: '1.0',
  });
  expect(registered.status).toBe(200);
  if (script) platform.apns!.script(token, script);
  const caller = await platform.device(`c-${randomUUID().slice(0, 8)}`);
  const { callId, ringDeadline } = await caller.must('call:invite', { calleeId, media: 'audio', idempotencyKey: `key-${randomUUID()}` });
  return { calleeId, token, callId, caller, ringDeadline };
}

const attempts = (timeline: TimelineEntryView[]) =>
  timeline.filter((t) => t.type === 'push-attempt').map((t) => t.data as { outcome: string; status: number | null; reason: string | null });
const voipToken = async (calleeId: string) =>
  (await platform.db.query('SELECT voip_token FROM devices WHERE user_id = $1', [calleeId])).rows[0].voip_token;

describe('what each APNs answer does', () => {
  it.each([
    ['410 Unregistered', { status: 410, reason: 'Unregistered' }],
    ['410 ExpiredToken', { status: 410, reason: 'ExpiredToken' }],
    ['400 BadDeviceToken', { status: 400, reason: 'BadDeviceToken' }],
    ['400 DeviceTokenNotForTopic', { status: 400, reason: 'DeviceTokenNotForTopic' }],
  ] as const)('%s invalidates the token and is not retried', async (_, answer) => {
    const { calleeId, token, callId } = await callScripted({
      ...answer,
      ...(answer.status === 410 ? { timestamp: Date.now() + 1000 } : {}),
    });
    const detail = await platform.timeline(callId, (t) => t.includes('push-attempt'));
    expect(attempts(detail.timeline)).toEqual([
      expect.objectContaining({ outcome: 'token-invalid', status: answer.status, reason: answer.reason }),
    ]);
    expect(await voipToken(calleeId)).toBeNull();
    await new Promise((r) => setTimeout(r, 700));
    expect(platform.apns!.requestsFor(token)).toHaveLength(1);
  });

  it('410 older than the token keeps the token (the app registered it again since)', async () => {
    const { calleeId, token, callId } = await callScripted({ status: 410, reason: 'Unregistered', timestamp: Date.now() - 3600_000 });
    await platform.timeline(callId, (t) => t.includes('push-attempt'));
    await new Promise((r) => setTimeout(r, 300));
    expect(await voipToken(calleeId)).toBe(token);
  });

  it.each([
    ['429 TooManyRequests', { status: 429, reason: 'TooManyRequests' }],
    ['500 InternalServerError', { status: 500, reason: 'InternalServerError' }],
    ['503 ServiceUnavailable', { status: 503, reason: 'ServiceUnavailable' }],
    ['a hung request (our timeout)', { hang: true }],
    ['an HTTP/2 GOAWAY', { goaway: true }],
  ] as const)('%s is retried with backoff and delivered when APNs recovers', async (_, answer) => {
    const { token, callId } = await callScripted({ ...answer, times: 2 });
    const delivered = await platform.apns!.waitFor((r) => r.token === token && r.status === 200, 8000);
    expect(delivered.at.getTime()).toBeLessThan(Date.now());
    const detail = await platform.timeline(callId, (t) => t.filter((x) => x === 'push-attempt').length >= 3);
    expect(attempts(detail.timeline).map((a) => a.outcome)).toEqual(['retrying', 'retrying', 'delivered']);
    expect(platform.apns!.requestsFor(token)).toHaveLength(3);
  });

  it('keeps retrying a failing APNs only until the ring deadline, then drops the push', async () => {
    const { token, callId, ringDeadline } = await callScripted({ status: 503, reason: 'ServiceUnavailable' });
    const detail = await platform.timeline(callId, (_, entries) => attempts(entries).some((a) => a.outcome === 'expired'), 15_000);
    const outcomes = attempts(detail.timeline).map((a) => a.outcome);
    expect(outcomes.at(-1)).toBe('expired');
    expect(outcomes.slice(0, -1).every((o) => o === 'retrying')).toBe(true);
    expect(outcomes.length).toBeGreaterThanOrEqual(4);
    const sent = platform.apns!.requestsFor(token).length;
    expect(platform.apns!.requestsFor(token).every((r) => r.at.getTime() < Date.parse(ringDeadline))).toBe(true);
    await new Promise((r) => setTimeout(r, 4500)); // longer than the largest backoff: nothing more is sent
    expect(platform.apns!.requestsFor(token)).toHaveLength(sent);
  }, 30_000);

  it('403 ExpiredProviderToken: a fresh provider token, one retry, delivered', async () => {
    const { token, callId } = await callScripted({ status: 403, reason: 'ExpiredProviderToken', times: 1 });
    const delivered = await platform.apns!.waitFor((r) => r.token === token && r.status === 200);
    const [rejected] = platform.apns!.requestsFor(token);
    expect(rejected!.status).toBe(403);
    expect(delivered.headers.authorization).not.toBe(rejected!.headers.authorization);
    const detail = await platform.timeline(callId, (t) => t.filter((x) => x === 'push-attempt').length >= 2);
    expect(attempts(detail.timeline).map((a) => [a.outcome, a.reason])).toEqual([
      ['retrying', 'ExpiredProviderToken'],
      ['delivered', null],
    ]);
  });

  it('other 4xx answers fail the push without retries', async () => {
    // An app built with another bundle id: APNs answers 400 TopicDisallowed-style rejections.
    const { token, callId } = await callScripted(null, { bundleId: 'com.example.other' });
    const detail = await platform.timeline(callId, (t) => t.includes('push-attempt'));
    const [attempt] = attempts(detail.timeline);
    expect(attempt).toMatchObject({ outcome: 'failed', status: 400 });
    await new Promise((r) => setTimeout(r, 700));
    expect(platform.apns!.requestsFor(token)).toHaveLength(1);
  });

  it('reuses one provider token across pushes instead of signing one per request', () => {
    const tokens = new Set(platform.apns!.requests.filter((r) => r.status === 200).map((r) => r.headers.authorization));
    // One per client (sandbox/production environment) plus the one re-signed after ExpiredProviderToken.
    expect(tokens.size).toBeLessThanOrEqual(3);
  });
});

describe('transport failures', () => {
  it('a GOAWAY whose last-stream-id covers the push is not a failure: the phone gets exactly one push', async () => {
    const { token, callId } = await callScripted({ goaway: true, covering: true, times: 1 });
    const detail = await platform.timeline(callId, (_, entries) => attempts(entries).some((a) => a.outcome === 'delivered'));
    expect(attempts(detail.timeline).map((a) => a.outcome)).toEqual(['delivered']);
    expect(platform.apns!.requestsFor(token).filter((r) => r.status === 200)).toHaveLength(1);
  });

  it.each([
    ['a timed-out attempt', { hang: true }],
    ['an attempt refused by GOAWAY', { goaway: true }],
  ] as const)('%s keeps the apns-id it carried on the timeline', async (_, fault) => {
    const { token, callId } = await callScripted({ ...fault, times: 1 });
    const detail = await platform.timeline(callId, (_t, entries) => attempts(entries).some((a) => a.outcome === 'delivered'));
    const [failed, sent] = platform.apns!.requestsFor(token);
    const [first, second] = detail.timeline
      .filter((t) => t.type === 'push-attempt')
      .map((t) => t.data as { outcome: string; apnsId: string | null });
    expect(first).toMatchObject({ outcome: 'retrying', apnsId: failed!.headers['apns-id'] });
    expect(second).toMatchObject({ outcome: 'delivered', apnsId: sent!.apnsId });
    expect(first!.apnsId).not.toBe(second!.apnsId);
  });
});

describe('a call that stops ringing', () => {
  it('takes back VoIP pushes still backing off, so no phone rings for a call that is over', async () => {
    const { token, callId, caller } = await callScripted({ status: 503, reason: 'ServiceUnavailable' });
    await platform.apns!.waitFor((r) => r.token === token);
    await caller.must('call:cancel', { callId });
    const detail = await platform.timeline(callId, (t) => t.includes('push-withdrawn'));
    expect(detail.timeline.find((t) => t.type === 'push-withdrawn')).toMatchObject({ actorDeviceId: 'phone' });
    const sent = platform.apns!.requestsFor(token).length;
    await new Promise((r) => setTimeout(r, 4500));
    expect(platform.apns!.requestsFor(token)).toHaveLength(sent);
  });
});
