import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { type AppProcess, Platform, TestDevice, iceCandidate, pollUntil } from '#testing';

/** Text no log line may hold: it stands for the addresses and fingerprints inside a real SDP. */
const SDP_MARKER = `sdp-secret-${randomUUID()}`;
const offer = { type: 'offer' as const, sdp: `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=${SDP_MARKER}\r\n` };
const answer = { type: 'answer' as const, sdp: `v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=${SDP_MARKER}-answer\r\n` };
const BAD_JWT = `eyJhbGciOiJIUzI1NiJ9.${randomBytes(24).toString('base64url')}.forged`;

let platform: Platform;
/** Every secret the call below puts on the wire: none may reach a log. */
const secrets: string[] = [SDP_MARKER, BAD_JWT];
let callId: string;

beforeAll(async () => {
  platform = await Platform.start({ ringTimeoutMs: 30_000, env: { LOG_LEVEL: 'debug', LOG_FORMAT: 'json' } });
}, 90_000);
afterAll(async () => {
  await platform?.stop();
});

/** A device whose JWT the test knows, so it can look for it in the logs. */
async function device(userId: string, deviceId = `dev-${randomUUID().slice(0, 8)}`): Promise<TestDevice> {
  const token = await platform.token(userId, userId);
  secrets.push(token);
  return TestDevice.connect(platform.gateway.url, token, userId, deviceId);
}

/** One series' value, labels matched exactly; undefined when the app does not show it. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.keys(have).length === wanted.length && wanted.every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

const scrape = (app: AppProcess) => fetch(`${app.url}/metrics`).then((r) => r.text());

describe('metrics and logs after real calls', () => {
  it('runs a pushed call that is cancelled and an answered one that drops, resumes and completes', async () => {
    // An offline callee: woken by a VoIP push, then the caller gives up.
    const voipToken = randomBytes(32).toString('hex');
    secrets.push(voipToken);
    expect(await platform.registerVoipDevice('sleepy', 'phone', voipToken)).toMatchObject({ status: 200 });
    const caller = await device('ada', 'ada-phone');
    const pushed = await caller.must('call:invite', { calleeId: 'sleepy', media: 'video', idempotencyKey: randomUUID() });
    await platform.apns!.waitFor((r) => r.token === voipToken && r.status === 200);
    await caller.must('call:cancel', { callId: pushed.callId });

    // An answered call: relays, a rate limit, refusals, a dropped socket and its resume.
    const callee = await device('bob');
    const placed = await caller.must('call:invite', { calleeId: 'bob', media: 'video', idempotencyKey: randomUUID() });
    callId = placed.callId;
    await callee.next('call:incoming', (p) => p.callId === callId);
    const accepted = await callee.must('call:accept', { callId });
    secrets.push(accepted.resumeToken);
    const callerAccepted = await caller.next('call:accepted', (p) => p.callId === callId);
    secrets.push(callerAccepted.resumeToken);
    await caller.must('call:sdp', { callId, description: offer });
    await callee.next('call:sdp', (p) => p.callId === callId);
    await callee.must('call:sdp', { callId, description: answer });
    await caller.next('call:sdp', (p) => p.callId === callId);
    await caller.must('call:ice-candidate', { callId, candidate: iceCandidate(1) });
    const sample = { at: new Date().toISOString(), rttMs: 40 };
    const qualityAcks = [];
    for (let i = 0; i < 12; i += 1) qualityAcks.push(await caller.send('call:quality', { callId, sample, final: false }));
    expect(qualityAcks.filter((a) => !a.ok).map((a) => !a.ok && a.error.code)).toContain('RATE_LIMITED');
    expect(await callee.send('call:sdp', { callId: randomUUID(), description: offer })).toMatchObject({
      ok: false,
      error: { code: 'NOT_A_PARTY' },
    });
    expect(await callee.send('call:resume', { callId, resumeToken: 'not-a-token', lastSeq: 0 })).toMatchObject({ ok: false });
    await expect(TestDevice.connect(platform.gateway.url, BAD_JWT, 'mallory')).rejects.toThrow();

    caller.close();
    await callee.next('call:peer-reconnecting', (p) => p.callId === callId);
    const back = await device('ada', 'ada-phone');
    back.continueFrom(caller);
    const resumed = await back.must('call:resume', { callId, resumeToken: callerAccepted.resumeToken, lastSeq: caller.lastSeqOf(callId) });
    secrets.push(resumed.resumeToken);
    await back.must('call:hangup', { callId });
    await callee.next('call:ended', (p) => p.callId === callId);
    back.close();
    callee.close();
  }, 60_000);

  it("shows each app's series on /metrics", async () => {
    const gateway = await pollUntil(
      () => scrape(platform.gateway),
      (t) => (value(t, 'vc_gateway_event_delivery_lag_seconds_count', { type: 'ended' }) ?? 0) >= 2,
      'the series on /metrics',
    );
    expect(value(gateway, 'vc_gateway_connected_sockets')).toBeGreaterThanOrEqual(0);
    expect(value(gateway, 'vc_gateway_invite_to_incoming_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(value(gateway, 'vc_gateway_relay_handling_seconds_count', { event: 'sdp' })).toBeGreaterThanOrEqual(2);
    expect(value(gateway, 'vc_gateway_relay_handling_seconds_count', { event: 'ice-candidate' })).toBeGreaterThanOrEqual(1);
    expect(value(gateway, 'vc_gateway_resumes_total', { outcome: 'ok' })).toBe(1);
    expect(gateway).toMatch(/^vc_gateway_resumes_total\{outcome="(?!ok")[A-Z_]+"\} 1$/m);
    expect(value(gateway, 'vc_gateway_event_delivery_lag_seconds_count', { type: 'created' })).toBeGreaterThanOrEqual(2);
    expect(value(gateway, 'vc_gateway_event_delivery_lag_seconds_count', { type: 'reconnecting' })).toBeGreaterThanOrEqual(1);
    expect(value(gateway, 'vc_gateway_refused_messages_total', { code: 'NOT_A_PARTY' })).toBeGreaterThanOrEqual(1);
    expect(value(gateway, 'vc_gateway_refused_messages_total', { code: 'RATE_LIMITED' })).toBeGreaterThanOrEqual(1);
    expect(value(gateway, 'vc_gateway_rate_limit_hits_total', { limit: 'quality' })).toBeGreaterThanOrEqual(1);
    expect(value(gateway, 'vc_gateway_refused_handshakes_total', { code: 'AUTH_TOKEN_INVALID' })).toBe(1);
    expect(value(gateway, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    const calls = await scrape(platform.calls);
    expect(value(calls, 'vc_calls_ended_total', { reason: 'cancelled' })).toBe(1);
    expect(value(calls, 'vc_calls_ended_total', { reason: 'completed' })).toBe(1);
    expect(value(calls, 'vc_calls_graces_total', { grace: 'reconnect', outcome: 'started' })).toBe(1);
    expect(value(calls, 'vc_calls_open', { state: 'active' })).toBe(0);
    expect(value(calls, 'vc_calls_open', { state: 'ringing' })).toBe(0);
    expect(value(calls, 'vc_queue_jobs', { queue: 'call-milestones', state: 'waiting' })).toBeGreaterThanOrEqual(0);
    expect(value(calls, 'vc_queue_oldest_waiting_age_seconds', { queue: 'push-reports' })).toBeGreaterThanOrEqual(0);
    // Labels hold codes and states only: no user, device or call id is exposed.
    for (const id of ['ada', 'bob', 'sleepy', 'ada-phone', callId]) expect(calls + gateway).not.toContain(`"${id}"`);

    const notifier = await pollUntil(
      () => scrape(platform.notifier!),
      (t) => (value(t, 'vc_notifier_pushes_total', { kind: 'voip', outcome: 'delivered' }) ?? 0) >= 1,
      'the series on /metrics',
    );
    expect(value(notifier, 'vc_notifier_pushes_total', { kind: 'voip', outcome: 'delivered' })).toBe(1);
    expect(value(notifier, 'vc_notifier_push_latency_seconds_count', { kind: 'voip' })).toBe(1);
    expect(value(notifier, 'vc_queue_jobs', { queue: 'apns-push', state: 'waiting' })).toBe(0);
    expect(value(notifier, 'vc_queue_oldest_waiting_age_seconds', { queue: 'apns-push' })).toBe(0);
  });

  it('asks for the bearer token on /metrics when METRICS_TOKEN is set', async () => {
    const token = randomBytes(24).toString('hex');
    const guarded = await platform.addGateway({ METRICS_TOKEN: token });
    expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const scraped = await fetch(`${guarded.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(value(await scraped.text(), 'vc_gateway_connected_sockets')).toBe(0);
  });

  it('logs JSON lines with the ids as fields, the request id carried from gateway to notifier, and no secrets', () => {
    const apps = [...platform.gateways, ...platform.callsNodes, platform.notifier!];
    const output = apps.map((a) => a.logs.join('')).join('');
    for (const secret of secrets) expect(output).not.toContain(secret);

    const lines = (app: AppProcess) =>
      app.logs
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const gatewayLines = lines(platform.gateway);
    expect(gatewayLines.find((l) => l.msg === 'socket connected')).toMatchObject({ app: 'gateway', userId: 'ada', deviceId: 'ada-phone' });
    expect(gatewayLines.find((l) => l.msg === 'socket disconnected' && l.userId === 'ada')).toMatchObject({
      deviceId: 'ada-phone',
      reason: expect.any(String),
    });
    expect(gatewayLines.find((l) => l.msg === 'handshake refused')).toMatchObject({ code: 'AUTH_TOKEN_INVALID' });
    const invite = gatewayLines.find((l) => l.msg === 'invite placed' && l.calleeId === 'sleepy');
    expect(invite).toMatchObject({ userId: 'ada', deviceId: 'ada-phone', requestId: expect.any(String) });
    const push = lines(platform.notifier!).find((l) => l.msg === 'voip push delivered');
    expect(push).toMatchObject({ callId: invite!.callId, userId: 'sleepy', deviceId: 'phone', requestId: invite!.requestId });
  });
});
