import { ErrorCode, fail, isClientEventName } from '#contracts';
import type { ClientPacket, SignalingSocket } from './signaling-socket.js';

/**
 * Runs before any handler. Nest silently ignores events it has no handler for; here an unknown
 * event, or a known one sent without an ack callback, still gets an answer.
 */
export function guardPacket(socket: SignalingSocket, [event, ...args]: ClientPacket, next: () => void): void {
  const ack = args.at(-1);
  if (!isClientEventName(event)) {
    const error = { code: ErrorCode.UNKNOWN_EVENT, message: `Unknown event "${event}".` };
    if (typeof ack === 'function') ack(fail(error));
    else socket.emit('protocol:error', { event, error });
    return;
  }
  if (typeof ack !== 'function') {
    socket.emit('protocol:error', {
      event,
      error: { code: ErrorCode.ACK_REQUIRED, message: 'Send every message with an acknowledgement callback (emitWithAck).' },
    });
    return;
  }
  next();
}
