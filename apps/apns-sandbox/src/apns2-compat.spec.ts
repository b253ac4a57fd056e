import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { ApnsClient, ApnsError, Notification, Priority, PushType } from 'apns2';
import { Pool } from 'undici';
import { ApnsSandbox } from './apns-sandbox.js';

const KEY_ID = 'ABC123DEFG';
const TEAM_ID = 'TEAM123456';
const TOPIC = 'com.example.app.voip';
const TOKEN = 'c3'.repeat(32);

/**
 * apns2 has no port, CA or dispatcher option, so the only way to aim it at the sandbox is to swap
 * its private undici Pool. This is the canary for apns2 upgrades: if the field is renamed, stops
 * being a Pool, or apns2 starts bundling its own undici, this must fail before production does.
 */
async function pointAtSandbox(apns: ApnsClient, sandbox: ApnsSandbox): Promise<Pool> {
  const original: unknown = Reflect.get(apns, 'client');
  if (!(original instanceof Pool)) {
    const found = original === undefined ? 'no `client` field' : `a ${Object.prototype.toString.call(original)}`;
    throw new Error(
      `apns2 canary: expected ApnsClient#client to be an undici Pool (from the top-level undici), found ${found}. ` +
        'The apns2 internals the sandbox relies on have changed: re-read apns2/dist/esm/apns.js before upgrading.',
    );
  }
  await original.close();
  const pool = new Pool(sandbox.url, {
    allowH2: true,
    connect: { ca: sandbox.ca, servername: 'localhost' },
    // apns2's requestTimeout is ignored; undici's 300 s defaults would apply otherwise.
    headersTimeout: 5000,
    bodyTimeout: 5000,
  });
  Object.defineProperty(apns, 'client', { value: pool });
  return pool;
}

describe('apns2 12.2.0 against the sandbox', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signingKey = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  let sandbox: ApnsSandbox;
  let apns: ApnsClient;
  let pool: Pool;

  beforeAll(async () => {
    sandbox = await ApnsSandbox.start({ keyId: KEY_ID, teamId: TEAM_ID, publicKey, bundleIds: ['com.example.app'] });
    apns = new ApnsClient({ team: TEAM_ID, keyId: KEY_ID, signingKey, host: 'localhost' });
    pool = await pointAtSandbox(apns, sandbox);
  });

  afterAll(async () => {
    await apns?.close();
    await sandbox?.close();
  });

  it('uses our Pool after the swap, although the field is readonly in the typings', () => {
    expect(apns.client).toBe(pool);
  });

  it('fails loudly when the private field is not there', async () => {
    const changed = Object.create(ApnsClient.prototype) as ApnsClient;
    await expect(pointAtSandbox(changed, sandbox)).rejects.toThrow(/apns2 canary: .* found no `client` field/);
  });

  it('delivers a VoIP push with the headers and payload the sandbox expects', async () => {
    const expiration = Math.floor(Date.now() / 1000) + 30;
    const notification = new Notification(TOKEN, {
      type: PushType.voip,
      topic: TOPIC,
      expiration,
      data: { callId: 'call-42', sentAt: 1700000000000 },
    });

    await expect(apns.send(notification)).resolves.toBe(notification);

    const recorded = await sandbox.waitFor((r) => r.token === TOKEN, 1000);
    expect(recorded).toMatchObject({ method: 'POST', path: `/3/device/${TOKEN}`, status: 200, reason: null });
    expect(recorded.headers).toMatchObject({
      'apns-push-type': 'voip',
      'apns-topic': TOPIC,
      'apns-expiration': String(expiration),
    });
    // apns2 leaves the header out for priority 10, Apple's default.
    expect(recorded.headers).not.toHaveProperty('apns-priority');
    expect(recorded.headers).not.toHaveProperty('apns-id');
    expect(recorded.jwt).toEqual({ kid: KEY_ID, iss: TEAM_ID, iat: expect.any(Number) });
    expect(recorded.payload).toEqual({ aps: {}, callId: 'call-42', sentAt: 1700000000000 });
  });

  it('sends apns-priority when it is not 10', async () => {
    sandbox.reset();
    await apns.send(new Notification(TOKEN, { type: PushType.voip, topic: TOPIC, priority: Priority.throttled, data: {} }));
    expect(sandbox.requests[0]?.headers['apns-priority']).toBe('5');
  });

  it('surfaces a scripted 410 as an ApnsError carrying reason and millisecond timestamp', async () => {
    sandbox.script(TOKEN, { status: 410, reason: 'Unregistered', timestamp: 1700000000000, times: 1 });
    const error = await apns.send(new Notification(TOKEN, { type: PushType.voip, topic: TOPIC })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApnsError);
    expect(error).toMatchObject({ statusCode: 410, reason: 'Unregistered', timestamp: 1700000000000 });
  });

  it('surfaces a sandbox validation failure the same way', async () => {
    const error = await apns.send(new Notification(TOKEN, { type: PushType.voip, topic: 'com.example.app' })).catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, reason: 'TopicDisallowed' });
  });
});
