import { describe, expect, it } from '@jest/globals';
import { AppError, type CallState, ErrorCode } from '#contracts';
import { type CallFacts, type Command, decide } from './call-state-machine.js';

const caller = { userId: 'alice', deviceId: 'alice-phone' };
const callerOtherDevice = { userId: 'alice', deviceId: 'alice-ipad' };
const phone = { userId: 'bob', deviceId: 'bob-phone' };
const ipad = { userId: 'bob', deviceId: 'bob-ipad' };
const stranger = { userId: 'mallory', deviceId: 'm-1' };

const call = (state: CallState, answeredDeviceId: string | null = state === 'active' ? phone.deviceId : null): CallFacts => ({
  state,
  callerId: caller.userId,
  callerDeviceId: caller.deviceId,
  calleeId: phone.userId,
  answeredDeviceId,
});

function errorOf(facts: CallFacts, command: Command): string {
  try {
    decide(facts, command);
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  throw new Error('expected the command to be refused');
}

describe('call state machine: legal transitions', () => {
  it.each([
    ['initiated', { kind: 'ringing', actor: phone }, 'ringing', null, 'ringing'],
    ['ringing', { kind: 'ringing', actor: ipad }, 'ringing', null, null],
    ['initiated', { kind: 'accept', actor: phone }, 'active', null, 'accepted'],
    ['ringing', { kind: 'accept', actor: ipad }, 'active', null, 'accepted'],
    ['initiated', { kind: 'decline', actor: phone }, 'ended', 'declined', 'ended'],
    ['ringing', { kind: 'decline', actor: ipad }, 'ended', 'declined', 'ended'],
    ['initiated', { kind: 'cancel', actor: caller }, 'ended', 'cancelled', 'ended'],
    ['ringing', { kind: 'cancel', actor: caller }, 'ended', 'cancelled', 'ended'],
    ['active', { kind: 'hangup', actor: caller }, 'ended', 'completed', 'ended'],
    ['active', { kind: 'hangup', actor: phone }, 'ended', 'completed', 'ended'],
    ['initiated', { kind: 'timeout' }, 'ended', 'missed', 'ended'],
    ['ringing', { kind: 'timeout' }, 'ended', 'missed', 'ended'],
    ['initiated', { kind: 'fail' }, 'ended', 'failed', 'ended'],
    ['ringing', { kind: 'fail' }, 'ended', 'failed', 'ended'],
    ['active', { kind: 'fail' }, 'ended', 'failed', 'ended'],
    ['initiated', { kind: 'admin-end', reason: 'stuck' }, 'ended', 'ended-by-admin', 'ended'],
    ['ringing', { kind: 'admin-end', reason: 'stuck' }, 'ended', 'ended-by-admin', 'ended'],
    ['active', { kind: 'admin-end', reason: 'stuck' }, 'ended', 'ended-by-admin', 'ended'],
  ] as [CallState, Command, CallState, string | null, string | null][])('%s + %j → %s (%s)', (from, command, to, reason, event) => {
    const outcome = decide(call(from), command);
    expect(outcome.to).toBe(to);
    expect(outcome.endReason).toBe(reason);
    expect(outcome.event).toBe(event);
  });

  it('records which callee device answered', () => {
    expect(decide(call('ringing'), { kind: 'accept', actor: ipad }).answeredDeviceId).toBe('bob-ipad');
  });
});

describe('call state machine: illegal transitions change nothing and say why', () => {
  it.each([
    // Wrong person
    ['ringing', { kind: 'accept', actor: caller }, ErrorCode.NOT_A_PARTY],
    ['ringing', { kind: 'decline', actor: stranger }, ErrorCode.NOT_A_PARTY],
    ['ringing', { kind: 'ringing', actor: caller }, ErrorCode.NOT_A_PARTY],
    ['ringing', { kind: 'cancel', actor: phone }, ErrorCode.NOT_A_PARTY],
    ['ringing', { kind: 'cancel', actor: callerOtherDevice }, ErrorCode.NOT_A_PARTY],
    ['active', { kind: 'hangup', actor: stranger }, ErrorCode.NOT_A_PARTY],
    ['active', { kind: 'hangup', actor: callerOtherDevice }, ErrorCode.NOT_A_PARTY],
    // Already answered
    ['active', { kind: 'accept', actor: ipad }, ErrorCode.ANSWERED_ELSEWHERE],
    ['active', { kind: 'accept', actor: phone }, ErrorCode.ILLEGAL_TRANSITION],
    ['active', { kind: 'decline', actor: ipad }, ErrorCode.ANSWERED_ELSEWHERE],
    ['active', { kind: 'ringing', actor: ipad }, ErrorCode.ANSWERED_ELSEWHERE],
    ['active', { kind: 'cancel', actor: caller }, ErrorCode.ILLEGAL_TRANSITION],
    ['active', { kind: 'timeout' }, ErrorCode.ILLEGAL_TRANSITION],
    ['active', { kind: 'hangup', actor: ipad }, ErrorCode.ANSWERED_ELSEWHERE],
    // Not answered yet
    ['initiated', { kind: 'hangup', actor: caller }, ErrorCode.CALL_NOT_ACTIVE],
    ['ringing', { kind: 'hangup', actor: phone }, ErrorCode.CALL_NOT_ACTIVE],
    // Ended: everything
    ...(['ringing', 'accept', 'decline', 'cancel', 'hangup'] as const).map((kind) => [
      'ended',
      { kind, actor: kind === 'cancel' || kind === 'hangup' ? caller : phone },
      ErrorCode.CALL_ALREADY_ENDED,
    ]),
    ['ended', { kind: 'timeout' }, ErrorCode.CALL_ALREADY_ENDED],
    ['ended', { kind: 'fail' }, ErrorCode.CALL_ALREADY_ENDED],
    ['ended', { kind: 'admin-end', reason: 'stuck' }, ErrorCode.CALL_ALREADY_ENDED],
  ] as [CallState, Command, string][])('%s + %j → %s', (from, command, code) => {
    const facts = call(from);
    const before = { ...facts };
    expect(errorOf(facts, command)).toBe(code);
    expect(facts).toEqual(before);
  });
});
