import { nextRequestId, withLogContext } from '#infra';
import type { ClientPacket, SignalingSocket } from './signaling-socket.js';

const MAX_CALL_ID_LENGTH = 36;

/**
 * First of the stages every client message passes (signaling.gateway.ts): it runs with a fresh request id and its sender (and call,
 * when it names one) as log fields, which follow it to the calls app (REQUEST_ID_HEADER) and into
 * the push jobs it causes. Cheap enough for relays: a counter and an AsyncLocalStorage scope.
 */
export function traceMessage(socket: SignalingSocket, packet: ClientPacket, next: () => void): void {
  const payload: unknown = packet[1];
  // Not validated yet (the handler's pipe does that): only a string of a call id's length is kept.
  const named = payload && typeof payload === 'object' ? (payload as { callId?: unknown }).callId : undefined;
  const callId = typeof named === 'string' && named.length <= MAX_CALL_ID_LENGTH ? named : undefined;
  const { userId, deviceId } = socket.data;
  withLogContext({ requestId: nextRequestId(), userId, deviceId, ...(callId ? { callId } : {}) }, next);
}
