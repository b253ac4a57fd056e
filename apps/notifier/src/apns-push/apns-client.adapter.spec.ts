import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Notification, PushType } from 'apns2';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApnsSandbox } from '../../../apns-sandbox/src/index.js';
import type { NotifierConfig } from '../config/notifier.config.js';
import { ApnsClientAdapter } from './apns-client.adapter.js';

const dir = mkdtempSync(join(tmpdir(), 'apns-adapter-'));
let sandbox: ApnsSandbox;
let adapter: ApnsClientAdapter;

beforeAll(async () => {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, 'key.p8'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  sandbox = await ApnsSandbox.start({ keyId: 'KEYID00001', teamId: 'TEAMID0001', publicKey: privateKey });
  writeFileSync(join(dir, 'ca.pem'), sandbox.ca);
  adapter = new ApnsClientAdapter({
    APNS_KEY_ID: 'KEYID00001',
    APNS_TEAM_ID: 'TEAMID0001',
    APNS_KEY_FILE: join(dir, 'key.p8'),
    APNS_ENDPOINT: sandbox.url,
    APNS_CA_FILE: join(dir, 'ca.pem'),
    APNS_REQUEST_TIMEOUT_MS: 2000,
  } as NotifierConfig);
});
afterAll(async () => {
  await adapter?.onApplicationShutdown();
  await sandbox?.close();
  rmSync(dir, { recursive: true, force: true });
});

const push = () =>
  new Notification(randomBytes(32).toString('hex'), { type: PushType.voip, topic: 'com.example.calls.voip', data: { callId: 'x' } });

describe('ApnsClientAdapter and the provider token', () => {
  it('stamps an apns-id, reads the answer, and measures latency', async () => {
    const answer = await adapter.send('sandbox', push());
    expect(answer).toMatchObject({ status: 200, reason: null, apnsId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(sandbox.requests.at(-1)!.headers['apns-id']).toBe(answer.apnsId);
    expect(answer.latencyMs).toBeGreaterThan(0);
  });

  it("reuses one provider token and re-signs it inside Apple's 20-60 minute window", async () => {
    const realNow = Date.now();
    const clock = jest.spyOn(Date, 'now');
    const tokenAt = async (minutes: number) => {
      clock.mockReturnValue(realNow + minutes * 60_000);
      await adapter.send('production', push());
      return sandbox.requests.at(-1)!.jwt!.iat!;
    };
    try {
      const first = await tokenAt(0);
      // Never more often than every 20 minutes: the same token is reused.
      expect(await tokenAt(19)).toBe(first);
      // Never older than 60 minutes: re-signed before Apple would call it expired.
      const refreshed = await tokenAt(56);
      expect(refreshed).toBeGreaterThan(first);
      expect(refreshed - first).toBeLessThan(60 * 60);
      expect(sandbox.requests.slice(-3).map((r) => r.status)).toEqual([200, 200, 200]);
    } finally {
      clock.mockRestore();
    }
  });
});

describe('ApnsClientAdapter at boot', () => {
  const withKey = (pem: string) => {
    const file = join(dir, `bad-${randomBytes(4).toString('hex')}.p8`);
    writeFileSync(file, pem);
    return () =>
      new ApnsClientAdapter({
        APNS_KEY_ID: 'KEYID00001',
        APNS_TEAM_ID: 'TEAMID0001',
        APNS_KEY_FILE: file,
        APNS_REQUEST_TIMEOUT_MS: 2000,
      } as NotifierConfig);
  };

  it('refuses a file that is not a PEM private key, naming it', () => {
    expect(withKey('not a key')).toThrow(/APNS_KEY_FILE .*bad-.*\.p8 is not a PEM private key/);
  });

  it("refuses a key Apple's ES256 cannot use", () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(withKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).toThrow(/must be Apple's ES256 \(P-256\) \.p8 key/);
  });
});
