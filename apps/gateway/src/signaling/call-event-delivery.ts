import { type CallEvent, type CallView, Rooms } from '#contracts';
import type { SignalingNamespace } from './signaling-socket.js';

const callerDevice = (call: CallView) => Rooms.device(call.callerId, call.callerDeviceId);
const answeredDevice = (call: CallView) => Rooms.device(call.calleeId, call.answeredDeviceId!);

/** This node's sockets in a room, synchronously (the local adapter's view, no Redis round trip). */
function localSockets(ns: SignalingNamespace, room: string) {
  return [...(ns.adapter.rooms.get(room) ?? [])].map((id) => ns.sockets.get(id)).filter((s) => s !== undefined);
}

/**
 * Turns one committed call event into socket messages. Every gateway node runs this for every event
 * and touches only its own sockets (`local`), so each device hears each event exactly once no
 * matter which node it is on, and room changes happen before the message that depends on them.
 */
export function deliverCallEvent(ns: SignalingNamespace, event: CallEvent): void {
  const { call } = event;
  const local = ns.local;
  switch (event.type) {
    case 'created':
      local.to(Rooms.user(call.calleeId)).emit('call:incoming', {
        callId: call.id,
        caller: { userId: call.callerId, displayName: call.callerName },
        media: call.media,
        createdAt: call.createdAt,
        ringDeadline: call.ringDeadline,
      });
      return;
    case 'ringing':
      local.to(callerDevice(call)).emit('call:ringing', { callId: call.id });
      return;
    case 'accepted': {
      // Pair the two devices before announcing, so an offer sent on `call:accepted` is relayed.
      for (const socket of localSockets(ns, callerDevice(call))) socket.data.calls[call.id] = answeredDevice(call);
      for (const socket of localSockets(ns, answeredDevice(call))) socket.data.calls[call.id] = callerDevice(call);
      local.to(callerDevice(call)).emit('call:accepted', { callId: call.id, answeredDeviceId: call.answeredDeviceId!, role: 'caller' });
      local.to(answeredDevice(call)).emit('call:accepted', { callId: call.id, answeredDeviceId: call.answeredDeviceId!, role: 'callee' });
      local.to(Rooms.user(call.calleeId)).except(answeredDevice(call)).emit('call:answered-elsewhere', { callId: call.id });
      return;
    }
    case 'ended': {
      const ended = { callId: call.id, reason: call.endReason! };
      local.to(callerDevice(call)).emit('call:ended', ended);
      if (call.endReason === 'busy') {
        // The callee never heard of this call; nothing to stop on their side.
      } else if (call.answeredDeviceId) {
        local.to(answeredDevice(call)).emit('call:ended', ended);
      } else if (call.endReason === 'declined' && event.byDeviceId) {
        const decliner = Rooms.device(call.calleeId, event.byDeviceId);
        local.to(decliner).emit('call:ended', ended);
        local.to(Rooms.user(call.calleeId)).except(decliner).emit('call:declined-elsewhere', { callId: call.id });
      } else {
        local.to(Rooms.user(call.calleeId)).emit('call:ended', ended);
      }
      for (const socket of localSockets(ns, callerDevice(call))) delete socket.data.calls[call.id];
      if (call.answeredDeviceId) for (const socket of localSockets(ns, answeredDevice(call))) delete socket.data.calls[call.id];
      return;
    }
  }
}
