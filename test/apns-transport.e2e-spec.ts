import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type Queue from 'bull';
import { randomBytes, randomUUID } from 'node:crypto';
import { PUSH_QUEUE, type PushJob, pushJobId, pushJobOptions } from '#contracts';
import { Platform } from '#testing';

/** Like APNs, the sandbox caps streams per connection; 50 stalled requests fill one connection. */
const STREAMS_PER_CONNECTION = 50;
const REQUEST_TIMEOUT_MS = 5000;
let platform: Platform;
let pushes: Queue.Queue<PushJob>;

beforeAll(async () => {
  platform = await Platform.start({
    apnsMaxConcurrentStreams: STREAMS_PER_CONNECTION,
    env: { APNS_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) },
  });
  pushes = platform.queue<PushJob>(PUSH_QUEUE);
}, 60_000);
afterAll(async () => {
  await pushes?.close();
  await platform?.stop();
});

/** A VoIP push job as the calls app queues it, straight into Bull: these tests are about the notifier. */
async function queueVoipPush(token = randomBytes(32).toString('hex'), ringMs = 15_000): Promise<string> {
  const callId = randomUUID();
  const ringDeadline = new Date(Date.now() + ringMs).toISOString();
  const job: PushJob = {
    kind: 'voip',
    callId,
    userId: 'callee',
    deviceId: 'phone',
    token,
    environment: 'production',
    topic: 'com.example.calls.voip',
    expiresAt: ringDeadline,
    payload: { callId, callerId: 'caller', callerName: null, media: 'audio', ringDeadline },
  };
  await pushes.add(job, pushJobOptions(pushJobId(job.kind, job.callId, job.deviceId)));
  return token;
}

const delivered = (token: string, timeoutMs = 10_000) => platform.apns!.waitFor((r) => r.token === token && r.status === 200, timeoutMs);

describe('the notifier against a misbehaving APNs', () => {
  it('signs one new provider token when APNs expires it under 20 concurrent pushes, and gets no 429', async () => {
    const apns = platform.apns!;
    await delivered(await queueVoipPush());
    const before = apns.providerTokens.length;
    apns.expireProviderTokens({ staggerMs: 15 });
    apns.limitProviderTokenRefreshes(20 * 60_000);
    try {
      const tokens = await Promise.all(Array.from({ length: 20 }, () => queueVoipPush()));
      const results = await Promise.allSettled(tokens.map((t) => delivered(t)));
      const tooMany = apns.requests.filter((r) => r.reason === 'TooManyProviderTokenUpdates').length;
      console.log(`20 pushes after expiry: ${apns.providerTokens.length - before} new provider token(s), ${tooMany} answers of 429`);
      expect(apns.providerTokens.length - before).toBe(1);
      expect(tooMany).toBe(0);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(20);
    } finally {
      apns.limitProviderTokenRefreshes(0);
    }
  }, 30_000);

  it('delivers a new push promptly while 50 requests are stalled at APNs', async () => {
    const apns = platform.apns!;
    const stalledTokens = Array.from({ length: 50 }, () => randomBytes(32).toString('hex'));
    for (const token of stalledTokens) apns.script(token, { hang: true });
    const hungSoFar = () => apns.requests.filter((r) => r.outcome === 'hung').length;
    const hung = hungSoFar();
    // A short ring time, so their retries stop stalling soon after the test.
    await Promise.all(stalledTokens.map((token) => queueVoipPush(token, 2 * REQUEST_TIMEOUT_MS)));
    await apns.waitFor(() => hungSoFar() >= hung + 50, 10_000);
    const started = performance.now();
    const token = await queueVoipPush();
    await delivered(token, 10_000);
    const waitedMs = Math.round(performance.now() - started);
    console.log(`with 50 stalled APNs requests a new push was delivered after ${waitedMs} ms (request timeout ${REQUEST_TIMEOUT_MS} ms)`);
    expect(waitedMs).toBeLessThan(REQUEST_TIMEOUT_MS / 3);
  }, 30_000);
});
