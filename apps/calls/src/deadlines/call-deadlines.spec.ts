import { describe, expect, it } from '@jest/globals';
import { type DeadlineFacts, overdue } from './call-deadlines.js';

const graces = { RECONNECT_GRACE_MS: 30_000, MEDIA_GRACE_MS: 20_000 };
const now = new Date('2026-12-02T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const base: DeadlineFacts = {
  state: 'active',
  ringDeadline: ago(60_000),
  callerDisconnectedAt: null,
  calleeDisconnectedAt: null,
  mediaDownSince: null,
  connectDeadline: null,
};

describe('overdue', () => {
  it.each<[string, Partial<DeadlineFacts>, ReturnType<typeof overdue>]>([
    ['a healthy active call', {}, null],
    ['an ended call, whatever its columns say', { state: 'ended', connectDeadline: ago(1) }, null],
    ['ringing past its deadline', { state: 'ringing', ringDeadline: ago(0) }, 'timeout'],
    ['initiated past its deadline', { state: 'initiated', ringDeadline: ago(5) }, 'timeout'],
    ['ringing before its deadline', { state: 'ringing', ringDeadline: ago(-1) }, null],
    [
      'ringing with the caller away past the grace',
      { state: 'ringing', ringDeadline: ago(-1), callerDisconnectedAt: ago(30_000) },
      'connection-lost',
    ],
    ['a party away past the grace', { calleeDisconnectedAt: ago(30_000) }, 'connection-lost'],
    ['a party away within the grace', { calleeDisconnectedAt: ago(29_999) }, null],
    ['media down past its grace', { mediaDownSince: ago(20_000) }, 'ice-failed'],
    ['media down within its grace', { mediaDownSince: ago(19_999) }, null],
    [
      'media down past its grace while a party is away: the reconnection grace decides',
      { mediaDownSince: ago(25_000), callerDisconnectedAt: ago(1_000) },
      null,
    ],
    ['media never connected by the connect deadline', { connectDeadline: ago(0) }, 'fail'],
    ['media never connected, deadline ahead', { connectDeadline: ago(-1) }, null],
    ['never connected while a party is away', { connectDeadline: ago(5_000), calleeDisconnectedAt: ago(1_000) }, null],
    ['media down and never connected: media grace first', { connectDeadline: ago(1), mediaDownSince: ago(20_000) }, 'ice-failed'],
  ])('%s', (_, facts, expected) => {
    expect(overdue({ ...base, ...facts }, now, graces)).toBe(expected);
  });
});
