import { CARRIED_CALLS_REMEMBERED, type SocketSession } from '#contracts';

/**
 * This socket now carries `callId` (peer: the other side's device room, null while it rings). It is
 * also remembered for a while after it stops carrying it, for the final quality summary.
 */
export function carry(session: SocketSession, callId: string, peer: string | null): void {
  session.calls[callId] = peer;
  if (session.carried.includes(callId)) return;
  session.carried.push(callId);
  if (session.carried.length > CARRIED_CALLS_REMEMBERED) session.carried.shift();
}

/** Carries the call now, or did recently: the sender of a quality report must be one of these. */
export const carriedRecently = (session: SocketSession, callId: string): boolean =>
  callId in session.calls || session.carried.includes(callId);
