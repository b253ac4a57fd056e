import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { compactVerify, decodeJwt, decodeProtectedHeader } from 'jose';
import { ApnsProviderToken } from './apns-provider-token.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const tokens = () => new ApnsProviderToken(privateKey, 'KEYID00001', 'TEAMID0001');

describe('ApnsProviderToken', () => {
  it('signs the ES256 token Apple expects: kid header, iss and iat claims', async () => {
    const token = tokens().get(1_700_000_000_000);
    await expect(compactVerify(token, publicKey, { algorithms: ['ES256'] })).resolves.toBeDefined();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'KEYID00001' });
    expect(decodeJwt(token)).toEqual({ iss: 'TEAMID0001', iat: 1_700_000_000 });
  });

  it('signs one new token however many pushes report the same expired one', () => {
    const provider = tokens();
    const stale = provider.get();
    const seen = new Set<string>();
    for (let i = 0; i < 20; i += 1) {
      provider.expired(stale);
      seen.add(provider.get());
    }
    expect(seen.size).toBe(1);
    expect(seen.has(stale)).toBe(false);
  });

  it('replaces a refreshed token only when APNs rejects that one', () => {
    const provider = tokens();
    const first = provider.get();
    provider.expired(first);
    const second = provider.get();
    // A late 403 for the first token leaves the second alone.
    provider.expired(first);
    expect(provider.get()).toBe(second);
    provider.expired(second);
    expect(provider.get()).not.toBe(second);
  });
});
