import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { ApnsSandbox } from '../../../apns-sandbox/src/index.js';
import { signProviderToken } from '../../../apns-sandbox/src/testing/provider-token.js';
import { ApnsSessionPool } from './apns-session-pool.js';
import type { ApnsTransportError } from './apns-transport-error.js';

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ids = { keyId: 'KEYID00001', teamId: 'TEAMID0001' };
let sandbox: ApnsSandbox;
let pool: ApnsSessionPool;
let authorization: string;

beforeAll(async () => {
  sandbox = await ApnsSandbox.start({ ...ids, publicKey: privateKey, maxConcurrentStreams: 3 });
  authorization = `bearer ${await signProviderToken(privateKey, ids)}`;
});
beforeEach(() => {
  sandbox.reset();
  pool = new ApnsSessionPool(sandbox.url, 500, sandbox.ca);
});
afterAll(() => sandbox?.close());

const token = () => randomBytes(32).toString('hex');
const send = (device: string) =>
  pool.request(`/3/device/${device}`, { authorization, 'apns-push-type': 'voip', 'apns-topic': 'com.example.voip' }, '{"aps":{}}');
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: ApnsTransportError) => error,
  );

describe('ApnsSessionPool', () => {
  it('answers a stream a GOAWAY covers instead of failing it', async () => {
    const device = token();
    sandbox.script(device, { goaway: true, covering: true, times: 1 });
    expect((await send(device)).status).toBe(200);
    // The next push opens a new connection.
    expect((await send(device)).status).toBe(200);
    await pool.close();
  });

  it('calls a stream beyond the last-stream-id refused, and safe to send again', async () => {
    const device = token();
    sandbox.script(device, { goaway: true, times: 1 });
    expect(await failure(send(device))).toMatchObject({ code: 'ApnsStreamRefused', covered: false });
    await pool.close();
  });

  it('times out a stalled stream, and stalls do not hold back a new request', async () => {
    const stalled = token();
    sandbox.script(stalled, { hang: true });
    const stalls = [send(stalled), send(stalled), send(stalled)].map(failure);
    await sandbox.waitFor(() => sandbox.requests.length >= 3);
    const started = performance.now();
    expect((await send(token())).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(400);
    for (const error of await Promise.all(stalls)) expect(error).toMatchObject({ code: 'ApnsRequestTimeout', covered: false });
    // The timed-out streams gave their slots back: three more stalls and a request still fit.
    const again = [send(stalled), send(stalled), send(stalled)].map(failure);
    expect((await send(token())).status).toBe(200);
    await Promise.all(again);
    await pool.close();
  });
});
