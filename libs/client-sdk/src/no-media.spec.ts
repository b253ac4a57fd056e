import { describe, expect, it } from '@jest/globals';
import { diagnoseNoMedia } from './no-media.js';

const stun = { urls: ['stun:stun.example.com:3478'] };
const turn = { urls: ['turn:turn.example.com:3478?transport=udp'], username: 'u', credential: 'c' };

describe('diagnoseNoMedia', () => {
  it.each([
    [[], 'relay', 'relay-without-turn', /TURN_URLS/],
    [[stun], 'all', 'no-turn', /No TURN server is configured/],
    [[stun, turn], 'relay', 'turn-unreachable', /reachable from both devices/],
  ] as const)('%j with policy %s → %s', (servers, policy, cause, hint) => {
    const found = diagnoseNoMedia(servers, policy, 10_000);
    expect(found).toMatchObject({ cause, afterMs: 10_000 });
    expect(found.hint).toMatch(hint);
  });
});
