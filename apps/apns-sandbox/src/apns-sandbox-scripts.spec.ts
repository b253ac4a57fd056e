import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { connect } from 'node:http2';
import { Http2TimeoutError } from './testing/http2-exchange.js';
import { OTHER_TOKEN, SandboxFixture, TOKEN } from './testing/sandbox-fixture.js';

describe('ApnsSandbox scripts', () => {
  const fx = new SandboxFixture();
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());
  beforeEach(() => fx.sandbox.reset());

  const statusOf = async (overrides: Record<string, string | undefined> = {}) => (await fx.sendValid(overrides)).status;

  it('answers 410 Unregistered with the scripted timestamp', async () => {
    fx.sandbox.script(TOKEN, { status: 410, reason: 'Unregistered', timestamp: 1700000000000 });
    const answer = await fx.sendValid();
    expect([answer.status, JSON.parse(answer.body)]).toEqual([410, { reason: 'Unregistered', timestamp: 1700000000000 }]);
    expect(fx.last()).toMatchObject({ status: 410, reason: 'Unregistered', scripted: true });
  });

  it('dates a 410 with the current time when no timestamp is scripted', async () => {
    fx.sandbox.script(TOKEN, { status: 410, reason: 'ExpiredToken' });
    const before = Date.now();
    const body = JSON.parse((await fx.sendValid()).body) as { reason: string; timestamp: number };
    expect(body.reason).toBe('ExpiredToken');
    expect(body.timestamp).toBeGreaterThanOrEqual(before);
    expect(body.timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('answers 503 twice, then succeeds', async () => {
    fx.sandbox.script(TOKEN, { status: 503, reason: 'ServiceUnavailable', times: 2 });
    const statuses = [await statusOf(), await statusOf(), await statusOf()];
    expect(statuses).toEqual([503, 503, 200]);
    expect(fx.sandbox.requestsFor(TOKEN).map((r) => r.scripted)).toEqual([true, true, false]);
  });

  it('leaves invalid requests to validation, without using up `times`', async () => {
    fx.sandbox.script(TOKEN, { status: 500, reason: 'InternalServerError', times: 1 });
    expect([await statusOf({ 'apns-topic': undefined }), await statusOf(), await statusOf()]).toEqual([400, 500, 200]);
  });

  it('affects only the scripted token, matching it case-insensitively', async () => {
    fx.sandbox.script(TOKEN.toUpperCase(), { status: 429, reason: 'TooManyRequests' });
    expect([await statusOf({ ':path': `/3/device/${OTHER_TOKEN}` }), await statusOf()]).toEqual([200, 429]);
  });

  it('stops after unscript and after reset', async () => {
    fx.sandbox.script(TOKEN, { status: 400, reason: 'DeviceTokenNotForTopic' });
    fx.sandbox.unscript(TOKEN);
    expect(await statusOf()).toBe(200);
    fx.sandbox.script(TOKEN, { status: 403, reason: 'ExpiredProviderToken' });
    fx.sandbox.reset();
    expect(fx.sandbox.requests).toEqual([]);
    expect(await statusOf()).toBe(200);
  });

  it('rejects a non-positive `times`', () => {
    expect(() => fx.sandbox.script(TOKEN, { status: 500, reason: 'InternalServerError', times: 0 })).toThrow(RangeError);
  });

  it('never answers a hung token, while the session keeps serving others', async () => {
    fx.sandbox.script(TOKEN, { hang: true });
    await expect(fx.send(await fx.validPush(), fx.session, 300)).rejects.toBeInstanceOf(Http2TimeoutError);
    expect(fx.last()).toMatchObject({ token: TOKEN, status: null, apnsId: null, outcome: 'hung', scripted: true });
    expect(await statusOf({ ':path': `/3/device/${OTHER_TOKEN}` })).toBe(200);
  });

  it('sends GOAWAY with a JSON reason and closes the session', async () => {
    fx.sandbox.script(TOKEN, { goaway: true, times: 1 });
    const doomed = connect(fx.sandbox.url, { ca: fx.sandbox.ca });
    doomed.on('error', () => undefined);
    const goaway = new Promise<{ code: number; data: string }>((resolve) =>
      doomed.once('goaway', (code, _lastStreamId, data) => resolve({ code, data: data?.toString() ?? '' })),
    );
    const closed = new Promise<void>((resolve) => doomed.once('close', () => resolve()));

    await expect(fx.send(await fx.validPush(), doomed)).rejects.toThrow(/REFUSED_STREAM/);
    expect(await goaway).toEqual({ code: 0, data: JSON.stringify({ reason: 'Shutdown' }) });
    await closed;
    expect(fx.last()).toMatchObject({ outcome: 'goaway', status: null, scripted: true });
    expect(await statusOf()).toBe(200);
  });
});
