import { AppError, type Actor, type CallState, ErrorCode, type EndReason, TimelineType } from '#contracts';

/** The parts of a call the rules look at. */
export interface CallFacts {
  state: CallState;
  callerId: string;
  callerDeviceId: string;
  calleeId: string;
  answeredDeviceId: string | null;
}

export type Command =
  | { kind: 'ringing'; actor: Actor }
  | { kind: 'accept'; actor: Actor }
  | { kind: 'decline'; actor: Actor }
  | { kind: 'cancel'; actor: Actor }
  | { kind: 'hangup'; actor: Actor }
  | { kind: 'timeout' }
  | { kind: 'fail' }
  | { kind: 'connection-lost' }
  | { kind: 'ice-failed' }
  | { kind: 'admin-end'; reason: string };

/** What a legal command does. `to` equal to the current state means "recorded, nothing changes". */
export interface Outcome {
  to: CallState;
  endReason: EndReason | null;
  answeredDeviceId: string | null;
  timeline: (typeof TimelineType)[keyof typeof TimelineType];
  /** Which event the gateways must deliver; null when nobody needs to hear about it. */
  event: 'ringing' | 'accepted' | 'ended' | null;
}

const UNANSWERED: readonly CallState[] = ['initiated', 'ringing'];

function requireCallee(call: CallFacts, actor: Actor): void {
  if (actor.userId !== call.calleeId) throw new AppError(ErrorCode.NOT_A_PARTY, 'Only the callee can do this.');
}

function requireCallerDevice(call: CallFacts, actor: Actor): void {
  if (actor.userId !== call.callerId || actor.deviceId !== call.callerDeviceId)
    throw new AppError(ErrorCode.NOT_A_PARTY, 'Only the device that placed the call can do this.');
}

function requireOpen(call: CallFacts): void {
  if (call.state === 'ended') throw new AppError(ErrorCode.CALL_ALREADY_ENDED, 'The call has already ended.');
}

function requireUnanswered(call: CallFacts, actor: Actor | null, what: string): void {
  requireOpen(call);
  if (call.state === 'active') {
    if (actor && actor.userId === call.calleeId && actor.deviceId !== call.answeredDeviceId)
      throw new AppError(ErrorCode.ANSWERED_ELSEWHERE, 'The call was answered on another device.');
    throw new AppError(ErrorCode.ILLEGAL_TRANSITION, `Cannot ${what} a call that is already active.`);
  }
}

const end = (reason: EndReason, timeline: Outcome['timeline'], call: CallFacts): Outcome => ({
  to: 'ended',
  endReason: reason,
  answeredDeviceId: call.answeredDeviceId,
  timeline,
  event: 'ended',
});

/**
 * The call lifecycle as a pure function: every legal command yields an Outcome, every illegal one
 * throws an AppError and changes nothing. The service applies it under a row lock.
 *
 *   initiated ──ringing──▶ ringing ──accept──▶ active ──hangup──▶ ended(completed)
 *       │                     │
 *       └──── decline / cancel / timeout / fail ────▶ ended(declined / cancelled / missed / failed)
 *
 *   any open state ──admin-end──▶ ended(ended-by-admin)
 */
export function decide(call: CallFacts, command: Command): Outcome {
  switch (command.kind) {
    case 'ringing':
      requireCallee(call, command.actor);
      requireUnanswered(call, command.actor, 'ring');
      return {
        to: 'ringing',
        endReason: null,
        answeredDeviceId: null,
        timeline: TimelineType.RINGING,
        // Only the first ringing device tells the caller; later ones are just recorded.
        event: call.state === 'initiated' ? 'ringing' : null,
      };
    case 'accept':
      requireCallee(call, command.actor);
      requireUnanswered(call, command.actor, 'accept');
      return {
        to: 'active',
        endReason: null,
        answeredDeviceId: command.actor.deviceId,
        timeline: TimelineType.ACCEPTED,
        event: 'accepted',
      };
    case 'decline':
      requireCallee(call, command.actor);
      requireUnanswered(call, command.actor, 'decline');
      return end('declined', TimelineType.DECLINED, call);
    case 'cancel':
      requireCallerDevice(call, command.actor);
      requireUnanswered(call, command.actor, 'cancel');
      return end('cancelled', TimelineType.CANCELLED, call);
    case 'hangup': {
      const { actor } = command;
      const isCaller = actor.userId === call.callerId && actor.deviceId === call.callerDeviceId;
      if (!isCaller && actor.userId !== call.calleeId)
        throw new AppError(ErrorCode.NOT_A_PARTY, 'Only the parties of a call can hang it up.');
      requireOpen(call);
      if (call.state !== 'active')
        throw new AppError(ErrorCode.CALL_NOT_ACTIVE, 'Only an answered call can be hung up; use cancel or decline while it rings.');
      if (!isCaller && actor.deviceId !== call.answeredDeviceId)
        throw new AppError(ErrorCode.ANSWERED_ELSEWHERE, 'The call was answered on another device.');
      return end('completed', TimelineType.HUNG_UP, call);
    }
    case 'timeout':
      requireUnanswered(call, null, 'time out');
      return end('missed', TimelineType.MISSED, call);
    case 'fail':
      requireOpen(call);
      return end('failed', TimelineType.FAILED, call);
    case 'connection-lost':
      requireOpen(call);
      return end('connection-lost', TimelineType.CONNECTION_LOST, call);
    case 'ice-failed':
      requireOpen(call);
      if (call.state !== 'active') throw new AppError(ErrorCode.CALL_NOT_ACTIVE, 'Media can only fail on an answered call.');
      return end('ice-failed', TimelineType.ICE_FAILED, call);
    case 'admin-end':
      requireOpen(call);
      return end('ended-by-admin', TimelineType.ENDED_BY_ADMIN, call);
  }
}

export const isUnanswered = (state: CallState): boolean => UNANSWERED.includes(state);
