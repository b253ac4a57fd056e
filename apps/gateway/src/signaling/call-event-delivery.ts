import { Injectable } from '@nestjs/common';
import { type CallEvent, type CallView, Rooms } from '#contracts';
import { CallOutbox } from '../call-session/call-outbox.service.js';
import { IceServersService } from '../call-session/ice-servers.service.js';
import { ResumeTokens } from '../call-session/resume-tokens.service.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.service.js';
import { type SignalingNamespace, localSockets } from './signaling-socket.js';
import { carry } from './carried-calls.js';

const callerDevice = (call: CallView) => Rooms.device(call.callerId, call.callerDeviceId);
const answeredDevice = (call: CallView) => Rooms.device(call.calleeId, call.answeredDeviceId!);
const peerDevice = (call: CallView, userId: string) =>
  userId === call.callerId ? (call.answeredDeviceId ? answeredDevice(call) : null) : callerDevice(call);

/**
 * Turns one committed call event into socket messages. Every gateway node runs this for every event
 * and touches only its own sockets (`local`), so each device hears each event exactly once no
 * matter which node it is on, and pairing happens before the message that depends on it.
 */
@Injectable()
export class CallEventDelivery {
  constructor(
    private readonly iceServers: IceServersService,
    private readonly resumeTokens: ResumeTokens,
    private readonly outbox: CallOutbox,
    private readonly metrics: GatewayMetrics,
  ) {}

  async deliver(ns: SignalingNamespace, event: CallEvent): Promise<void> {
    const { call } = event;
    const local = ns.local;
    switch (event.type) {
      case 'created': {
        if (localSockets(ns, Rooms.user(call.calleeId)).length === 0) return;
        local.to(Rooms.user(call.calleeId)).emit('call:incoming', {
          callId: call.id,
          version: call.version,
          caller: { userId: call.callerId, displayName: call.callerName },
          media: call.media,
          createdAt: call.createdAt,
          ringDeadline: call.ringDeadline,
          iceServers: this.iceServers.mint(call.calleeId, call.id),
        });
        this.metrics.incomingDelivered(call.createdAt);
        return;
      }
      case 'ringing':
        local.to(callerDevice(call)).emit('call:ringing', { callId: call.id, version: call.version });
        return;
      case 'accepted': {
        // Pair the two devices before announcing, so an offer sent on `call:accepted` is relayed.
        const sides = [
          {
            room: callerDevice(call),
            peer: answeredDevice(call),
            userId: call.callerId,
            deviceId: call.callerDeviceId,
            role: 'caller' as const,
          },
          {
            room: answeredDevice(call),
            peer: callerDevice(call),
            userId: call.calleeId,
            deviceId: call.answeredDeviceId!,
            role: 'callee' as const,
          },
        ];
        for (const side of sides) {
          const sockets = localSockets(ns, side.room);
          if (sockets.length === 0) continue;
          // Carrier keys need no beat here: the caller's socket has beaten its key since the invite
          // (or its resume), and the answering socket since its accept ack.
          for (const socket of sockets) carry(socket.data, call.id, side.peer);
          const resume = this.resumeTokens.issue(side.userId, side.deviceId, call.id);
          local.to(side.room).emit('call:accepted', {
            callId: call.id,
            version: call.version,
            answeredDeviceId: call.answeredDeviceId!,
            role: side.role,
            polite: side.role === 'callee',
            iceServers: this.iceServers.mint(side.userId, call.id),
            resumeToken: resume.token,
            resumeTokenExpiresAt: resume.expiresAt,
          });
        }
        local
          .to(Rooms.user(call.calleeId))
          .except(answeredDevice(call))
          .emit('call:answered-elsewhere', { callId: call.id, version: call.version });
        return;
      }
      case 'reconnecting': {
        const peer = peerDevice(call, event.userId);
        if (peer)
          local.to(peer).emit('call:peer-reconnecting', {
            callId: call.id,
            version: call.version,
            userId: event.userId,
            graceEndsAt: event.graceEndsAt,
          });
        return;
      }
      case 'resumed': {
        const peer = peerDevice(call, event.userId);
        if (peer) local.to(peer).emit('call:peer-resumed', { callId: call.id, version: call.version, userId: event.userId });
        return;
      }
      case 'ended':
        this.deliverEnded(ns, call, event.byDeviceId);
        return;
    }
  }

  private deliverEnded(ns: SignalingNamespace, call: CallView, byDeviceId: string | null): void {
    const local = ns.local;
    const ended = { callId: call.id, version: call.version, reason: call.endReason! };
    const carriers = [callerDevice(call), ...(call.answeredDeviceId ? [answeredDevice(call)] : [])];
    // Sent before the end is told, and best effort: with Redis down the streams keep their
    // hours-long expiry, and the end is still delivered.
    if (call.answeredDeviceId) void this.outbox.ended(call.id, carriers).catch(() => undefined);
    local.to(callerDevice(call)).emit('call:ended', ended);
    if (call.endReason === 'busy') {
      // The callee never heard of this call; nothing to stop on their side.
    } else if (call.answeredDeviceId) {
      local.to(answeredDevice(call)).emit('call:ended', ended);
    } else if (call.endReason === 'declined' && byDeviceId) {
      const decliner = Rooms.device(call.calleeId, byDeviceId);
      local.to(decliner).emit('call:ended', ended);
      local.to(Rooms.user(call.calleeId)).except(decliner).emit('call:declined-elsewhere', { callId: call.id, version: call.version });
    } else {
      local.to(Rooms.user(call.calleeId)).emit('call:ended', ended);
    }
    for (const socket of carriers.flatMap((room) => localSockets(ns, room))) {
      delete socket.data.calls[call.id];
      this.outbox.forget(socket, call.id);
    }
  }
}
