import { describe, expect, it } from '@jest/globals';
import { reconcile, stalled } from './call-resync.js';

describe('reconcile a call:state answer', () => {
  const caller = { role: 'caller' as const, outgoing: false, deviceId: 'a1' };
  const callee = { role: 'callee' as const, outgoing: false, deviceId: 'b1' };
  const view = (state: 'initiated' | 'ringing' | 'active' | 'ended', more: { endReason?: string; answeredDeviceId?: string } = {}) => ({
    state,
    endReason: more.endReason ?? null,
    answeredDeviceId: more.answeredDeviceId ?? null,
  });

  it.each([
    ['ended: end locally with its reason', view('ended', { endReason: 'failed' }), caller, { kind: 'end', reason: 'failed' }],
    ['ended (callee)', view('ended', { endReason: 'missed' }), callee, { kind: 'end', reason: 'missed' }],
    ['answered by another device of ours', view('active', { answeredDeviceId: 'b2' }), callee, { kind: 'end' }],
    ['answered by this device', view('active', { answeredDeviceId: 'b1' }), callee, { kind: 'wait' }],
    [
      'answered while the caller still thinks it rings',
      view('active', { answeredDeviceId: 'b1' }),
      { ...caller, outgoing: true },
      { kind: 'proceed-as-accepted' },
    ],
    ['answered, and the caller knows', view('active', { answeredDeviceId: 'b1' }), caller, { kind: 'wait' }],
    ['still ringing', view('ringing'), { ...caller, outgoing: true }, { kind: 'wait' }],
    ['not yet ringing', view('initiated'), { ...caller, outgoing: true }, { kind: 'wait' }],
  ])('%s', (_, answer, local, action) => expect(reconcile(answer, local)).toEqual(action));
});

describe('stalled', () => {
  it.each([
    [{ phase: 'outgoing', answered: false, mediaConnected: false }, 'outgoing-stalled'],
    [{ phase: 'connecting', answered: true, mediaConnected: false }, 'media-not-connected'],
    [{ phase: 'reconnecting', answered: true, mediaConnected: false }, 'media-not-connected'],
    [{ phase: 'connecting', answered: true, mediaConnected: true }, null],
    [{ phase: 'connected', answered: true, mediaConnected: true }, null],
    [{ phase: 'reconnecting', answered: false, mediaConnected: false }, null],
    [{ phase: 'ended', answered: true, mediaConnected: false }, null],
  ])('%o → %s', (call, reason) => expect(stalled(call)).toBe(reason));
});
