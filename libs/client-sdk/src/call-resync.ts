import type { CallRole, CallStateView, EndReason } from '#contracts';

/** Why the client asked `call:state`. */
export type ResyncReason =
  /** An outgoing call heard neither `call:ringing` nor `call:accepted` for CLIENT_RESYNC_MS. */
  | 'outgoing-stalled'
  /** An answered call's media has not connected CLIENT_RESYNC_MS after the answer. */
  | 'media-not-connected'
  /** A relay or ICE-state report was refused with NOT_A_PARTY or CALL_NOT_FOUND. */
  | 'relay-refused';

export type ResyncAction =
  /** Over: with the server's reason, or without one when another device of ours answered. */
  | { kind: 'end'; reason?: EndReason }
  /** The caller missed `call:accepted`: fetch ICE servers and make the first offer. */
  | { kind: 'proceed-as-accepted' }
  | { kind: 'wait' };

export interface LocalCall {
  role: CallRole;
  /** We still think the call is ringing out (the caller has not seen it answered). */
  outgoing: boolean;
  deviceId: string;
}

/** What to do with a `call:state` answer, given what this device believes. */
export function reconcile(view: Pick<CallStateView, 'state' | 'endReason' | 'answeredDeviceId'>, local: LocalCall): ResyncAction {
  if (view.state === 'ended') return { kind: 'end', reason: (view.endReason ?? 'failed') as EndReason };
  if (view.state !== 'active') return { kind: 'wait' };
  if (local.role === 'callee' && view.answeredDeviceId !== local.deviceId) return { kind: 'end' };
  if (local.role === 'caller' && local.outgoing) return { kind: 'proceed-as-accepted' };
  return { kind: 'wait' };
}

/** Which late phase a call is in, if any: asked again every CLIENT_RESYNC_MS while it lasts. */
export function stalled(call: { phase: string; answered: boolean; mediaConnected: boolean }): ResyncReason | null {
  if (call.phase === 'ended') return null;
  if (call.phase === 'outgoing') return 'outgoing-stalled';
  if (call.answered && !call.mediaConnected) return 'media-not-connected';
  return null;
}
