import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { connect } from 'node:http2';
import { Http2TimeoutError } from './testing/http2-exchange.js';
import { OTHER_TOKEN, SandboxFixture, TOKEN } from './testing/sandbox-fixture.js';

describe('ApnsSandbox faults for the notifier', () => {
  const fx = new SandboxFixture();
  beforeAll(() => fx.start({ maxConcurrentStreams: 2 }));
  afterAll(() => fx.stop());
  beforeEach(() => fx.sandbox.reset());

  it('a covering GOAWAY names the stream as processed and still answers it', async () => {
    fx.sandbox.script(TOKEN, { goaway: true, covering: true, times: 1 });
    const doomed = connect(fx.sandbox.url, { ca: fx.sandbox.ca });
    doomed.on('error', () => undefined);
    const goaway = new Promise<number>((resolve) => doomed.once('goaway', (_code, lastStreamId) => resolve(lastStreamId)));
    const answer = await fx.send(await fx.validPush(), doomed);
    expect(answer.status).toBe(200);
    // The first client stream is id 1: the GOAWAY covers exactly it.
    expect(await goaway).toBe(1);
    expect(fx.last()).toMatchObject({ status: 200, scripted: true, apnsId: answer.headers['apns-id'] });
    doomed.close();
  });

  it('expires every accepted provider token on demand, and accepts a fresh one', async () => {
    const old = await fx.providerToken();
    expect((await fx.sendValid({ authorization: `bearer ${old}` })).status).toBe(200);
    fx.sandbox.expireProviderTokens();
    const rejected = await fx.sendValid({ authorization: `bearer ${old}` });
    expect([rejected.status, JSON.parse(rejected.body)]).toEqual([403, { reason: 'ExpiredProviderToken' }]);
    expect((await fx.sendValid()).status).toBe(200);
    expect(fx.sandbox.providerTokens).toHaveLength(2);
  });

  it('spreads the 403s out when asked, the n-th one n steps late', async () => {
    const old = await fx.providerToken();
    expect((await fx.sendValid({ authorization: `bearer ${old}` })).status).toBe(200);
    fx.sandbox.expireProviderTokens({ staggerMs: 100 });
    const started = performance.now();
    const answeredAt = await Promise.all(
      [0, 1, 2].map(async () => {
        await fx.sendValid({ authorization: `bearer ${old}` });
        return performance.now() - started;
      }),
    );
    expect(Math.max(...answeredAt)).toBeGreaterThanOrEqual(200);
    expect(Math.min(...answeredAt)).toBeLessThan(100);
  });

  it("enforces Apple's refresh limit: a second new token too soon answers 429 TooManyProviderTokenUpdates", async () => {
    fx.sandbox.limitProviderTokenRefreshes(60_000);
    const first = await fx.providerToken();
    expect((await fx.sendValid({ authorization: `bearer ${first}` })).status).toBe(200);
    const refused = await fx.sendValid();
    expect([refused.status, JSON.parse(refused.body)]).toEqual([429, { reason: 'TooManyProviderTokenUpdates' }]);
    // The token already in use keeps working.
    expect((await fx.sendValid({ authorization: `bearer ${first}` })).status).toBe(200);
    expect(fx.sandbox.providerTokens).toEqual([first]);
    // Expiry stands for an hour gone by: one refresh is then due, and only one.
    fx.sandbox.expireProviderTokens();
    const refreshed = await fx.providerToken();
    expect((await fx.sendValid({ authorization: `bearer ${refreshed}` })).status).toBe(200);
    expect((await fx.sendValid()).status).toBe(429);
  });

  it('advertises its stream limit: stalled streams fill a connection and a further one waits', async () => {
    fx.sandbox.script(TOKEN, { hang: true });
    const session = connect(fx.sandbox.url, { ca: fx.sandbox.ca });
    session.on('error', () => undefined);
    await new Promise((resolve) => session.once('remoteSettings', resolve));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(2);
    const push = await fx.validPush();
    const stalled = [fx.send(push, session, 1500), fx.send(push, session, 1500)];
    const other = await fx.validPush({ ':path': `/3/device/${OTHER_TOKEN}` });
    await expect(fx.send(other, session, 300)).rejects.toBeInstanceOf(Http2TimeoutError);
    await Promise.allSettled(stalled);
    session.close();
  });
});
