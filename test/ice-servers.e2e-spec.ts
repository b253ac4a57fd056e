import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IceServersView } from '#contracts';
import { Coturn, Platform, tryTurnAllocation } from '#testing';

const secret = randomBytes(24).toString('hex');
let coturn: Coturn;
let platform: Platform;

beforeAll(async () => {
  coturn = await Coturn.start({ secret });
  platform = await Platform.start({
    notifier: false,
    env: { TURN_SECRET: secret, TURN_URLS: `turn:127.0.0.1:${coturn.port}?transport=udp` },
  });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await coturn?.stop();
});

const turnOf = (view: IceServersView) => {
  const turn = view.iceServers.find((s) => s.urls.some((u) => u.startsWith('turn:')));
  if (!turn?.username || !turn.credential) throw new Error(`no TURN entry in ${JSON.stringify(view)}`);
  return { username: turn.username, credential: turn.credential };
};

describe('ICE servers issued by the platform, checked by a real coturn', () => {
  it('delivers working TURN credentials with the call, on request, and over REST', async () => {
    const tag = randomUUID().slice(0, 8);
    const caller = await platform.device(`t-a-${tag}`);
    const callee = await platform.device(`t-b-${tag}`);
    const { callId } = await caller.must('call:invite', { calleeId: callee.userId, media: 'video', idempotencyKey: `key-${tag}` });
    const incoming = await callee.next('call:incoming', (p) => p.callId === callId);
    await callee.must('call:accept', { callId });
    const accepted = await caller.next('call:accepted', (p) => p.callId === callId);
    const fresh = await caller.must('call:ice-servers', { callId });
    const rest = await fetch(`${platform.gateway.url}/ice-servers?callId=${callId}`, {
      headers: { authorization: `Bearer ${await platform.token(caller.userId)}` },
    });
    expect(rest.status).toBe(200);

    for (const view of [incoming.iceServers, accepted.iceServers, fresh, (await rest.json()) as IceServersView]) {
      const credentials = turnOf(view);
      // Scoped to the user and the call, so coturn's logs name both.
      expect(credentials.username).toMatch(new RegExp(`^\\d+:t-[ab]-${tag}:${callId}$`));
      expect(view.iceServers.find((s) => s.urls.some((u) => u.startsWith('stun:')))).toBeDefined();
      expect((await tryTurnAllocation(coturn, credentials)).ok).toBe(true);
    }
    const stranger = await fetch(`${platform.gateway.url}/ice-servers?callId=${callId}`, {
      headers: { authorization: `Bearer ${await platform.token(`t-x-${tag}`)}` },
    });
    expect([stranger.status, await stranger.json()]).toEqual([404, { code: 'CALL_NOT_FOUND', message: expect.any(String) }]);
    await caller.must('call:hangup', { callId });
  });

  it('refuses credentials whose username was altered after signing', async () => {
    const rest = await fetch(`${platform.gateway.url}/ice-servers`, {
      headers: { authorization: `Bearer ${await platform.token('t-c')}` },
    });
    const { username, credential } = turnOf((await rest.json()) as IceServersView);
    const [expiry, ...rest2] = username.split(':');
    const extended = [String(Number(expiry) + 86_400), ...rest2].join(':');
    expect((await tryTurnAllocation(coturn, { username: extended, credential })).ok).toBe(false);
  });

  it('refuses the REST endpoint without a valid token', async () => {
    const response = await fetch(`${platform.gateway.url}/ice-servers`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'AUTH_TOKEN_MISSING' });
  });
});
