import type { CallState } from '#contracts';
import type { ServerEnd } from '../calls/calls.service.js';

/** The parts of a call its deadlines depend on. */
export interface DeadlineFacts {
  state: CallState;
  ringDeadline: Date;
  callerDisconnectedAt: Date | null;
  calleeDisconnectedAt: Date | null;
  mediaDownSince: Date | null;
  connectDeadline: Date | null;
}

export interface Graces {
  RECONNECT_GRACE_MS: number;
  MEDIA_GRACE_MS: number;
}

const passed = (since: Date | null, ms: number, now: Date) => since !== null && since.getTime() + ms <= now.getTime();

/**
 * Which deadline, if any, a call has run past at `now`, as the way it must end. Pure, so the
 * reconciler can ask it before locking and again under the lock.
 *
 *   ringing/initiated   ring_deadline passed                      → timeout (missed)
 *   any open state      a party away longer than the grace        → connection-lost
 *   active, all present media down longer than the media grace    → ice-failed
 *   active, all present media never connected by connect_deadline → fail (failed)
 *
 * While a party is away only its reconnection grace can end the call: media cannot recover or
 * connect without it, and a resume restarts both media clocks.
 */
export function overdue(call: DeadlineFacts, now: Date, graces: Graces): ServerEnd | null {
  if (call.state === 'ended') return null;
  if (call.state !== 'active' && call.ringDeadline.getTime() <= now.getTime()) return 'timeout';
  const absences = [call.callerDisconnectedAt, call.calleeDisconnectedAt];
  if (absences.some((since) => passed(since, graces.RECONNECT_GRACE_MS, now))) return 'connection-lost';
  if (call.state !== 'active' || absences.some((since) => since !== null)) return null;
  if (passed(call.mediaDownSince, graces.MEDIA_GRACE_MS, now)) return 'ice-failed';
  if (call.connectDeadline && call.connectDeadline.getTime() <= now.getTime()) return 'fail';
  return null;
}
