import { describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { AuthConfig } from './auth-config.js';
import { JwtVerifier } from './jwt-verifier.js';

/** The algorithms docs/protocol.md#connecting promises, per way of knowing the provider's key. */
const SECRET = 's'.repeat(32);
const secretKey = new TextEncoder().encode(SECRET);
const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'EdDSA'];

const sign = (alg: string, key: Parameters<SignJWT['sign']>[0]) =>
  new SignJWT({}).setProtectedHeader({ alg }).setSubject('alice').setExpirationTime('1h').sign(key);
const outcome = (verifier: JwtVerifier, token: string) =>
  verifier.verify(token).then(
    () => 'accepted',
    (error: { code?: string }) => error.code,
  );
const withPublicKey = async (alg: string) => {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { verifier: new JwtVerifier({ AUTH_JWT_PUBLIC_KEY: await exportSPKI(publicKey) } as AuthConfig), privateKey };
};

describe('the algorithms a token may be signed with', () => {
  it('with a shared secret: HS256, and nothing else', async () => {
    const verifier = new JwtVerifier({ AUTH_JWT_SECRET: SECRET } as AuthConfig);
    expect(await outcome(verifier, await sign('HS256', secretKey))).toBe('accepted');
    for (const alg of ['HS384', 'HS512'])
      expect([alg, await outcome(verifier, await sign(alg, secretKey))]).toEqual([alg, 'AUTH_TOKEN_INVALID']);
    const unsigned = new UnsecuredJWT({}).setSubject('alice').setExpirationTime('1h').encode();
    expect(await outcome(verifier, unsigned)).toBe('AUTH_TOKEN_INVALID');
  });

  it.each(ASYMMETRIC)('with a public key: %s', async (alg) => {
    const { verifier, privateKey } = await withPublicKey(alg);
    expect(await outcome(verifier, await sign(alg, privateKey))).toBe('accepted');
  });

  it('with a public key: ES512 is refused, and so is HS256 keyed with the public key itself', async () => {
    const es512 = await withPublicKey('ES512');
    expect(await outcome(es512.verifier, await sign('ES512', es512.privateKey))).toBe('AUTH_TOKEN_INVALID');
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const verifier = new JwtVerifier({ AUTH_JWT_PUBLIC_KEY: pem } as AuthConfig);
    expect(await outcome(verifier, await sign('HS256', new TextEncoder().encode(pem)))).toBe('AUTH_TOKEN_INVALID');
  });
});

describe('a refused token', () => {
  it('reads the same to the client whatever check failed, and the log says which', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const verifier = new JwtVerifier({ AUTH_JWT_SECRET: SECRET, AUTH_JWT_AUDIENCE: 'calls' } as AuthConfig);
      const token = (build: (jwt: SignJWT) => SignJWT, key = secretKey) =>
        build(new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('1h')).sign(key);
      const refusals = await Promise.all(
        [
          token((t) => t.setAudience('calls'), new TextEncoder().encode('x'.repeat(32))), // signature
          token((t) => t.setAudience('elsewhere')), // audience
          token((t) => t.setAudience('calls').setSubject('not a valid id')), // claims
          Promise.resolve('not.a.jwt'),
        ].map(async (t) => verifier.verify(await t).catch((error: { toBody(): unknown }) => error.toBody())),
      );
      expect(new Set(refusals.map((r) => JSON.stringify(r)))).toEqual(
        new Set([JSON.stringify({ code: 'AUTH_TOKEN_INVALID', message: 'The token was rejected; fetch a new one.' })]),
      );
      const logged = warn.mock.calls.map(([line]) => String(line)).join('\n');
      expect(logged).toMatch(/signature/i);
      expect(logged).toMatch(/aud/);
      expect(logged).toMatch(/sub/);
    } finally {
      warn.mockRestore();
    }
  });
});

describe('a token presented for a signed-in user (a socket refresh)', () => {
  it("is refused in the same words when it names another user, and yields the token's expiry otherwise", async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const verifier = new JwtVerifier({ AUTH_JWT_SECRET: SECRET } as AuthConfig);
      const token = await sign('HS256', secretKey);
      const refused = await verifier.verify(token, 'bob').catch((error: { toBody(): unknown }) => error.toBody());
      expect(refused).toEqual({ code: 'AUTH_TOKEN_INVALID', message: 'The token was rejected; fetch a new one.' });
      expect(warn.mock.calls.map(([line]) => String(line)).join('\n')).toMatch(/sub alice is not the signed-in user bob/);
      const { expiresAt } = await verifier.verify(token, 'alice');
      expect(expiresAt - Date.now()).toBeGreaterThan(3_590_000);
      expect(expiresAt % 1000).toBe(0);
    } finally {
      warn.mockRestore();
    }
  });
});
