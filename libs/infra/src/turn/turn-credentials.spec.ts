import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { IceServersView } from '#contracts';
import { mintTurnCredentials } from './turn-credentials.js';

const base = {
  secret: 'coturn-fixture-secret',
  userId: 'alice',
  ttlSeconds: 3600,
  now: new Date('2033-05-18T02:33:20.700Z'),
  stunUrls: ['stun:turn.example.com:3478'],
  turnUrls: ['turn:turn.example.com:3478?transport=udp', 'turns:turn.example.com:5349?transport=tcp'],
};
const CALL_ID = '6f1c2a3e-1b0d-4c8e-9f7a-2d3b4c5d6e7f';

function turnEntry(view: IceServersView) {
  const entry = view.iceServers.find((s) => s.username !== undefined);
  if (!entry?.username || !entry.credential) throw new Error('no TURN entry');
  return { username: entry.username, credential: entry.credential };
}

describe('mintTurnCredentials', () => {
  it('signs <expiry>:<userId> with HMAC-SHA1 of the secret, the expiry being now + ttl in whole seconds', () => {
    const view = mintTurnCredentials(base);
    const { username, credential } = turnEntry(view);
    expect(username).toBe('2000000000:alice');
    expect(credential).toBe(createHmac('sha1', base.secret).update(username).digest('base64'));
    expect(view).toEqual({
      iceServers: [{ urls: base.stunUrls }, { urls: base.turnUrls, username, credential }],
      ttlSeconds: 3600,
      expiresAt: '2033-05-18T03:33:20.000Z',
    });
    expect(IceServersView.parse(view)).toEqual(view);
  });

  // Both allocated on a real coturn 4.6.1 (static-auth-secret=coturn-fixture-secret) with turnutils_uclient.
  // Not replayed in the e2e suite: coturn checks the expiry, so any fixed vector is a time bomb there.
  it('matches the vector coturn accepted, scoped to a call', () => {
    expect(turnEntry(mintTurnCredentials({ ...base, callId: CALL_ID }))).toEqual({
      username: `2000000000:alice:${CALL_ID}`,
      credential: 'EIpAeTuCnBw1PDC6JpguT3+7d3w=',
    });
    expect(turnEntry(mintTurnCredentials(base)).credential).toBe('iB91rkSKaQatKWxPFkmDoKR2SO8=');
  });

  it('leaves out the server entries it has no URLs for', () => {
    expect(mintTurnCredentials({ ...base, stunUrls: [] }).iceServers).toHaveLength(1);
    expect(mintTurnCredentials({ ...base, turnUrls: [] }).iceServers).toEqual([{ urls: base.stunUrls }]);
  });

  it.each([0, -60, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a ttl of %p', (ttlSeconds) => {
    expect(() => mintTurnCredentials({ ...base, ttlSeconds })).toThrow(/ttlSeconds must be a positive/);
  });

  it('refuses an empty secret', () => {
    expect(() => mintTurnCredentials({ ...base, secret: '' })).toThrow(/secret is empty/);
  });

  it('refuses an empty part', () => {
    expect(() => mintTurnCredentials({ ...base, userId: '' })).toThrow(/userId cannot be empty/);
  });

  it.each([
    ['userId', 'Union-Select-Fan', '!556e696f6e2d53656c6563742d46616e'],
    ['userId', 'al:ice', '!616c3a696365'],
    ['callId', 'a"b', '!612262'],
    ['userId', 'alice', 'alice'],
  ])('sends a %s coturn would reject or misread hex-encoded, and a plain one as it is: %p', (field, value, part) => {
    const [server] = mintTurnCredentials({ ...base, [field]: value }).iceServers.filter((s) => s.username);
    expect(server!.username!.split(':')).toContain(part);
  });
});
