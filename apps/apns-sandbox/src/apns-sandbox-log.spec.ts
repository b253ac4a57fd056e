import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { ApnsRecordedRequest } from './apns-recorded-request.js';
import { http2Exchange } from './testing/http2-exchange.js';
import { OTHER_TOKEN, SandboxFixture, TOKEN } from './testing/sandbox-fixture.js';

describe('ApnsSandbox request log', () => {
  const fx = new SandboxFixture();
  beforeAll(() => fx.start({ inspection: true }));
  afterAll(() => fx.stop());
  beforeEach(() => fx.sandbox.reset());

  const toOther = { ':path': `/3/device/${OTHER_TOKEN}` };

  it('waitFor resolves with a request that arrives later', async () => {
    const waiting = fx.sandbox.waitFor((r) => r.token === OTHER_TOKEN, 2000);
    await fx.sendValid();
    setTimeout(() => void fx.sendValid(toOther), 50);
    const found = await waiting;
    expect(found).toMatchObject({ token: OTHER_TOKEN, status: 200 });
  });

  it('waitFor resolves at once for a request already recorded', async () => {
    await fx.sendValid({ 'apns-priority': '5' });
    const found = await fx.sandbox.waitFor((r) => r.headers['apns-priority'] === '5', 10);
    expect(found.token).toBe(TOKEN);
  });

  it('waitFor rejects when nothing matches in time', async () => {
    await fx.sendValid();
    await expect(fx.sandbox.waitFor((r) => r.token === OTHER_TOKEN, 100)).rejects.toThrow(
      /no matching APNs request within 100 ms \(1 recorded\)/,
    );
  });

  it('emits each request to listeners until they are removed', async () => {
    const seen: Array<number | null> = [];
    const listener = (r: ApnsRecordedRequest) => seen.push(r.status);
    fx.sandbox.on('request', listener);
    await fx.sendValid();
    await fx.sendValid({ 'apns-topic': undefined });
    fx.sandbox.off('request', listener);
    await fx.sendValid();
    expect(seen).toEqual([200, 400]);
  });

  it('hands out copies: emptying sandbox.requests leaves the log alone', async () => {
    await fx.sendValid();
    fx.sandbox.requests.length = 0;
    expect(fx.sandbox.requests).toHaveLength(1);
  });

  it('filters by token, case-insensitively', async () => {
    await fx.sendValid();
    await fx.sendValid(toOther);
    expect(fx.sandbox.requestsFor(OTHER_TOKEN.toUpperCase()).map((r) => r.token)).toEqual([OTHER_TOKEN]);
  });

  it('serves the log without authorization headers at GET /sandbox/requests, unrecorded', async () => {
    await fx.sendValid();
    await fx.sendValid(toOther);
    const answer = await http2Exchange(fx.session, { ':method': 'GET', ':path': `/sandbox/requests?token=${OTHER_TOKEN}` });
    const entries = JSON.parse(answer.body) as Array<{ token: string; headers: Record<string, string> }>;

    expect(answer.status).toBe(200);
    expect(entries.map((e) => e.token)).toEqual([OTHER_TOKEN]);
    expect(entries[0].headers['apns-push-type']).toBe('voip');
    expect(entries[0].headers).not.toHaveProperty('authorization');
    expect(fx.sandbox.requests).toHaveLength(2);
  });
});
