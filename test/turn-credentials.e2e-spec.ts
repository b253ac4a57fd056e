import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { DEFAULT_TURN_TTL_SECONDS, type IceServersView } from '../libs/contracts/src/ice/ice-servers.js';
import { mintTurnCredentials } from '../libs/infra/src/turn/turn-credentials.js';
import { Coturn } from '../libs/testing/src/coturn.js';
import { tryTurnAllocation } from '../libs/testing/src/turn-allocation.js';

const secret = randomBytes(24).toString('hex');
let coturn: Coturn;

beforeAll(async () => {
  coturn = await Coturn.start({ secret });
}, 20_000);
afterAll(async () => coturn?.stop());

function mint(options: { callId?: string; now?: Date; secret?: string; userId?: string } = {}) {
  const view = mintTurnCredentials({
    secret,
    userId: 'alice',
    ttlSeconds: DEFAULT_TURN_TTL_SECONDS,
    stunUrls: [`stun:127.0.0.1:${coturn.port}`],
    turnUrls: [coturn.url],
    ...options,
  });
  return turnCredentials(view);
}

function turnCredentials(view: IceServersView) {
  const entry = view.iceServers.find((server) => server.urls.includes(coturn.url));
  if (!entry?.username || !entry.credential) throw new Error(`no TURN credentials in ${JSON.stringify(view)}`);
  return { username: entry.username, credential: entry.credential };
}

async function expectAllocated(credentials: { username: string; credential: string }) {
  const result = await tryTurnAllocation(coturn, credentials);
  if (!result.ok)
    throw new Error(`allocation refused for ${credentials.username}:\n${result.output}\n--- coturn ---\n${coturn.logs.join('')}`);
}

/** Refused by coturn's credential check, not by anything else that can make an allocation fail. */
async function expectRefusedByAuth(credentials: { username: string; credential: string }) {
  const result = await tryTurnAllocation(coturn, credentials);
  expect(result.ok).toBe(false);
  await coturn.waitForLog(`check_stun_auth: Cannot find credentials of user <${credentials.username}>`);
}

describe('TURN REST credentials against a real coturn', () => {
  it('allocates with issued credentials', async () => {
    await expectAllocated(mint());
  });

  it('allocates with credentials scoped to a call (<expiry>:<userId>:<callId>)', async () => {
    const credentials = mint({ callId: randomUUID() });
    expect(credentials.username).toMatch(/^\d+:alice:[0-9a-f-]{36}$/);
    await expectAllocated(credentials);
  });

  it('allocates for a user id that coturn would refuse as it is ("union" and "select")', async () => {
    await expectAllocated(mint({ userId: 'union-select-fan', callId: randomUUID() }));
  });

  it('refuses credentials whose expiry has passed', async () => {
    const issuedLongAgo = new Date(Date.now() - (DEFAULT_TURN_TTL_SECONDS + 60) * 1000);
    await expectRefusedByAuth(mint({ now: issuedLongAgo }));
  });

  it('refuses credentials signed with another secret', async () => {
    await expectRefusedByAuth(mint({ secret: `${secret}-not` }));
  });

  it.each([
    ['a later expiry', (username: string) => username.replace(/^\d+/, (expiry) => String(Number(expiry) + 86_400))],
    ['another call', (username: string) => username.replace(/[^:]+$/, randomUUID())],
    ['the call scope dropped', (username: string) => username.replace(/:[^:]+$/, '')],
  ])('refuses a username changed after signing: %s', async (_, tamper) => {
    const { username, credential } = mint({ callId: randomUUID() });
    const tampered = tamper(username);
    expect(tampered).not.toBe(username);
    await expectRefusedByAuth({ username: tampered, credential });
  });

  it('serves again on the same port after a restart', async () => {
    const port = coturn.port;
    await coturn.restart();
    expect(coturn.port).toBe(port);
    await expectAllocated(mint());
  });
});
