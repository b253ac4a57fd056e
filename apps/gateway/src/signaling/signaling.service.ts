import { Injectable } from '@nestjs/common';
import {
  type CallAction,
  type CallRefPayload,
  type ClientResult,
  type IceCandidatePayload,
  type InvitePayload,
  type MediaStatePayload,
  type SdpPayload,
  AppError,
  ErrorCode,
  TimelineType,
} from '#contracts';
import { CallsClient } from './calls.client.js';
import { MilestoneReporter } from './milestone-reporter.service.js';
import type { SignalingSocket } from './signaling-socket.js';

/**
 * What each client message does. Lifecycle messages go to the calls app; relays stay on this node:
 * a room-membership check and a Redis-adapter broadcast, no database and no calls round trip.
 */
@Injectable()
export class SignalingService {
  constructor(
    private readonly calls: CallsClient,
    private readonly milestones: MilestoneReporter,
  ) {}

  async invite(socket: SignalingSocket, payload: InvitePayload): Promise<ClientResult<'call:invite'>> {
    const { userId, deviceId, displayName } = socket.data;
    const { call, merged } = await this.calls.create({
      caller: { userId, deviceId },
      callerName: displayName,
      calleeId: payload.calleeId,
      media: payload.media,
      idempotencyKey: payload.idempotencyKey,
    });
    return { callId: call.id, state: call.state, role: call.callerId === userId ? 'caller' : 'callee', merged, ringDeadline: call.ringDeadline };
  }

  async act(socket: SignalingSocket, action: CallAction, { callId }: CallRefPayload): Promise<ClientResult<'call:accept'>> {
    const { userId, deviceId } = socket.data;
    const call = await this.calls.act(callId, action, { userId, deviceId });
    return { callId: call.id, state: call.state };
  }

  sdp(socket: SignalingSocket, payload: SdpPayload): ClientResult<'call:sdp'> {
    this.peerRoom(socket, payload.callId).emit('call:sdp', payload);
    const milestone = payload.description.type === 'offer' ? TimelineType.OFFER_RELAYED : TimelineType.ANSWER_RELAYED;
    this.milestones.report(socket.data, payload.callId, milestone, { bytes: Buffer.byteLength(payload.description.sdp) });
    return { callId: payload.callId };
  }

  iceCandidate(socket: SignalingSocket, payload: IceCandidatePayload): ClientResult<'call:ice-candidate'> {
    this.peerRoom(socket, payload.callId).emit('call:ice-candidate', payload);
    if (payload.candidate === null) this.milestones.report(socket.data, payload.callId, TimelineType.END_OF_CANDIDATES);
    return { callId: payload.callId };
  }

  mediaState(socket: SignalingSocket, payload: MediaStatePayload): ClientResult<'call:media-state'> {
    this.peerRoom(socket, payload.callId).emit('call:media-state', payload);
    this.milestones.report(socket.data, payload.callId, TimelineType.MEDIA_STATE, { ...payload.state });
    return { callId: payload.callId };
  }

  /** Only the two devices carrying an accepted call know each other; everyone else is refused. */
  private peerRoom(socket: SignalingSocket, callId: string) {
    const peer = socket.data.calls[callId];
    if (!peer) throw new AppError(ErrorCode.NOT_A_PARTY, 'This device is not carrying that call (not accepted yet, ended, or not yours).');
    return socket.to(peer);
  }
}
