import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { connect } from 'node:http2';
import { ApnsSandbox } from './apns-sandbox.js';
import { http2Exchange } from './testing/http2-exchange.js';
import { KEY_ID, nowSeconds, SandboxFixture, TEAM_ID, TOKEN, UUID_V4 } from './testing/sandbox-fixture.js';

describe('ApnsSandbox', () => {
  const fx = new SandboxFixture();
  beforeAll(() => fx.start());
  afterAll(() => fx.stop());
  beforeEach(() => fx.sandbox.reset());

  it('listens on an ephemeral loopback port with its own CA', () => {
    expect(fx.sandbox.port).toBeGreaterThan(0);
    expect(fx.sandbox.url).toBe(`https://127.0.0.1:${fx.sandbox.port}`);
    expect(fx.sandbox.ca).toContain('BEGIN CERTIFICATE');
  });

  it('accepts a valid VoIP push, echoes apns-id and records it with its payload', async () => {
    const apnsId = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    const answer = await fx.sendValid({ 'apns-id': apnsId });

    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
    expect(answer.headers['apns-id']).toBe(apnsId);
    expect(answer.headers['apns-unique-id']).toMatch(UUID_V4);
    expect(fx.sandbox.requests).toHaveLength(1);
    expect(fx.last()).toMatchObject({
      method: 'POST',
      path: `/3/device/${TOKEN}`,
      token: TOKEN,
      status: 200,
      reason: null,
      apnsId,
      scripted: false,
      outcome: 'answered',
      payload: { aps: {}, callId: 'call-1' },
      jwt: { kid: KEY_ID, iss: TEAM_ID },
      headers: expect.objectContaining({ 'apns-push-type': 'voip', 'apns-topic': 'com.example.app.voip', 'apns-expiration': '0' }),
    });
    expect(fx.last()?.headers.authorization).toMatch(/^bearer ey/);
    expect(fx.last()?.jwt?.iat).toBeCloseTo(nowSeconds(), -1);
  });

  it('makes up a lowercase apns-id when the request has none', async () => {
    const answer = await fx.sendValid();
    expect(answer.headers['apns-id']).toMatch(UUID_V4);
    expect(fx.last()?.apnsId).toBe(answer.headers['apns-id']);
  });

  it('records a non-JSON body with a null payload', async () => {
    await fx.sendValid({}, 'not json');
    expect(fx.last()).toMatchObject({ body: 'not json', payload: null, status: 200 });
  });

  it('answers 403 ExpiredProviderToken to a token issued more than an hour ago', async () => {
    const answer = await fx.sendValid({ authorization: `bearer ${await fx.providerToken(nowSeconds() - 3601)}` });
    expect([answer.status, JSON.parse(answer.body)]).toEqual([403, { reason: 'ExpiredProviderToken' }]);
  });

  it('answers 403 InvalidProviderToken to a token signed with another key', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const answer = await fx.sendValid({ authorization: `bearer ${await fx.providerToken(undefined, stranger)}` });
    expect([answer.status, JSON.parse(answer.body)]).toEqual([403, { reason: 'InvalidProviderToken' }]);
    expect(fx.last()?.jwt).toMatchObject({ kid: KEY_ID, iss: TEAM_ID });
  });
});

describe('ApnsSandbox without inspection', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('treats /sandbox/requests as an APNs path (404 BadPath) and is only trusted with its CA', async () => {
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const sandbox = await ApnsSandbox.start({ keyId: KEY_ID, teamId: TEAM_ID, publicKey: pem });
    const trusting = connect(sandbox.url, { ca: sandbox.ca });
    const untrusting = connect(sandbox.url);
    const tlsError = new Promise<NodeJS.ErrnoException>((resolve) => untrusting.once('error', resolve));
    try {
      const answer = await http2Exchange(trusting, { ':method': 'GET', ':path': '/sandbox/requests' });
      expect([answer.status, JSON.parse(answer.body)]).toEqual([404, { reason: 'BadPath' }]);
      expect((await tlsError).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    } finally {
      trusting.close();
      untrusting.destroy();
      await sandbox.close();
    }
  });

  it('refuses a key that cannot verify ES256', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey;
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    await expect(ApnsSandbox.start({ keyId: KEY_ID, teamId: TEAM_ID, publicKey: rsa })).rejects.toThrow(/EC P-256/);
    await expect(ApnsSandbox.start({ keyId: KEY_ID, teamId: TEAM_ID, publicKey: p384 })).rejects.toThrow(/EC P-256/);
  });
});
