import { Injectable } from '@nestjs/common';
import {
  AppError,
  type CallAction,
  type CallRefPayload,
  type CallStateView,
  type CallView,
  type ClientResult,
  ErrorCode,
  type IceCandidatePayload,
  type IceStatePayload,
  type InvitePayload,
  type MediaStatePayload,
  type QualityPayload,
  type ResumePayload,
  Rooms,
  type SdpPayload,
  type ServerEventName,
  TimelineType,
} from '#contracts';
import { CallOutbox } from '../call-session/call-outbox.service.js';
import { CallSessions } from '../call-session/call-sessions.service.js';
import { CarrierHeartbeat } from '../call-session/carrier-heartbeat.service.js';
import { IceServersService } from '../call-session/ice-servers.service.js';
import { ResumeTokens } from '../call-session/resume-tokens.service.js';
import { CallsClient } from './calls.client.js';
import { MilestoneReporter } from './milestone-reporter.service.js';
import type { SignalingSocket } from './signaling-socket.js';

const peerOf = (call: CallView, userId: string): string | null => {
  if (userId === call.callerId) return call.answeredDeviceId ? Rooms.device(call.calleeId, call.answeredDeviceId) : null;
  return Rooms.device(call.callerId, call.callerDeviceId);
};

/**
 * What each client message does. Lifecycle messages go to the calls app. Relays stay on this node:
 * a lookup on the socket, one Redis round trip that numbers and keeps the message for replay, and a
 * Redis-adapter broadcast to the peer's device; no database and no calls round trip.
 *
 * An OK ack is a promise the client may act on at once: a socket is paired with its peer (may
 * relay) before its accept, glare-merged invite or resume is acknowledged.
 */
@Injectable()
export class SignalingService {
  constructor(
    private readonly calls: CallsClient,
    private readonly milestones: MilestoneReporter,
    private readonly outbox: CallOutbox,
    private readonly iceServers: IceServersService,
    private readonly resumeTokens: ResumeTokens,
    private readonly carriers: CarrierHeartbeat,
    private readonly sessions: CallSessions,
  ) {}

  async invite(socket: SignalingSocket, payload: InvitePayload): Promise<ClientResult<'call:invite'>> {
    const { userId, deviceId, displayName } = socket.data;
    const { call, merged } = await this.calls.create({
      caller: { userId, deviceId },
      carrierId: socket.id,
      callerName: displayName,
      calleeId: payload.calleeId,
      media: payload.media,
      idempotencyKey: payload.idempotencyKey,
    });
    const role = call.callerId === userId ? 'caller' : 'callee';
    const ringing = role === 'caller' && call.state !== 'ended' && call.state !== 'active';
    if (ringing) {
      socket.data.calls[call.id] ??= null;
      await this.carriers.beat(socket, call.id);
    }
    // Glare: this invite answered the callee's call to us from this device, which now carries it.
    if (merged && call.state === 'active') await this.pair(socket, call);
    const resumeToken =
      ringing || (merged && call.state === 'active') ? (await this.resumeTokens.issue(userId, deviceId, call.id)).token : null;
    return { callId: call.id, state: call.state, role, merged, ringDeadline: call.ringDeadline, resumeToken };
  }

  async act(
    socket: SignalingSocket,
    action: Exclude<CallAction, 'accept'>,
    { callId }: CallRefPayload,
  ): Promise<ClientResult<'call:hangup'>> {
    const { userId, deviceId } = socket.data;
    const call = await this.calls.act(callId, action, { userId, deviceId });
    return { callId: call.id, state: call.state };
  }

  /** On ok this socket carries the call: paired with the caller's device before the ack leaves. */
  async accept(socket: SignalingSocket, { callId }: CallRefPayload): Promise<ClientResult<'call:accept'>> {
    const { userId, deviceId } = socket.data;
    const call = await this.calls.act(callId, 'accept', { userId, deviceId }, socket.id);
    await this.pair(socket, call);
    const resume = await this.resumeTokens.issue(userId, deviceId, callId);
    return {
      callId,
      state: call.state,
      version: call.version,
      role: 'callee',
      polite: true,
      peerDeviceId: call.callerDeviceId,
      iceServers: this.iceServers.mint(userId, callId),
      resumeToken: resume.token,
      resumeTokenExpiresAt: resume.expiresAt,
    };
  }

  /** For a client whose expected event is late, or whose relay was refused: the call as it stands. */
  state(socket: SignalingSocket, { callId }: CallRefPayload): Promise<CallStateView> {
    return this.calls.state(callId, socket.data.userId);
  }

  async sdp(socket: SignalingSocket, payload: SdpPayload): Promise<ClientResult<'call:sdp'>> {
    const { callId, description, iceRestart } = payload;
    const peer = this.peerRoom(socket, callId);
    // The peer answers a restart with fresh credentials: the ones it got at accept may have expired.
    const iceServers = iceRestart && description.type === 'offer' ? this.iceServers.mint(peerUserId(peer), callId) : undefined;
    await this.relay(socket, peer, 'call:sdp', { callId, description, iceRestart, ...(iceServers ? { iceServers } : {}) });
    const milestone =
      iceRestart && description.type === 'offer'
        ? TimelineType.ICE_RESTART
        : description.type === 'offer'
          ? TimelineType.OFFER_RELAYED
          : TimelineType.ANSWER_RELAYED;
    this.milestones.report(socket.data, callId, milestone, { bytes: Buffer.byteLength(description.sdp) });
    return { callId };
  }

  async iceCandidate(socket: SignalingSocket, payload: IceCandidatePayload): Promise<ClientResult<'call:ice-candidate'>> {
    await this.relay(socket, this.peerRoom(socket, payload.callId), 'call:ice-candidate', payload);
    if (payload.candidate === null) this.milestones.report(socket.data, payload.callId, TimelineType.END_OF_CANDIDATES);
    return { callId: payload.callId };
  }

  async mediaState(socket: SignalingSocket, payload: MediaStatePayload): Promise<ClientResult<'call:media-state'>> {
    await this.relay(socket, this.peerRoom(socket, payload.callId), 'call:media-state', payload);
    this.milestones.report(socket.data, payload.callId, TimelineType.MEDIA_STATE, { ...payload.state });
    return { callId: payload.callId };
  }

  async iceState(socket: SignalingSocket, { callId, state }: IceStatePayload): Promise<ClientResult<'call:ice-state'>> {
    this.peerRoom(socket, callId);
    await this.calls.iceState(callId, { userId: socket.data.userId, deviceId: socket.data.deviceId }, state);
    return { callId };
  }

  /** Off the relay path: queued for the call's timeline; the calls app keeps only its carriers' reports. */
  quality(socket: SignalingSocket, { callId, sample, final }: QualityPayload): ClientResult<'call:quality'> {
    this.milestones.report(socket.data, callId, final ? TimelineType.QUALITY_SUMMARY : TimelineType.QUALITY, { ...sample });
    return { callId };
  }

  freshIceServers(socket: SignalingSocket, { callId }: CallRefPayload): ClientResult<'call:ice-servers'> {
    if (!(callId in socket.data.calls)) throw new AppError(ErrorCode.NOT_A_PARTY, 'This device is not carrying that call.');
    return this.iceServers.mint(socket.data.userId, callId);
  }

  /**
   * Back after a dropped socket, on this node or any other: the token proves this device carried the
   * call; the calls app re-admits it (and tells the peer); then everything it missed is replayed in
   * seq order before the ack.
   */
  async resume(socket: SignalingSocket, { callId, resumeToken, lastSeq, epoch }: ResumePayload): Promise<ClientResult<'call:resume'>> {
    const { userId, deviceId } = socket.data;
    await this.resumeTokens.verify(resumeToken, socket.data, callId);
    // The carrier key first: once the calls app names this socket the carrier, its sweep must find
    // the key, or it would start a grace for a party that is right here.
    await this.carriers.beat(socket, callId);
    const call = await this.calls.act(callId, 'resume', { userId, deviceId }, socket.id);
    socket.data.calls[callId] = peerOf(call, userId);
    this.sessions.supersede(socket, callId);
    const replay = await this.outbox.replay(callId, Rooms.device(userId, deviceId), lastSeq, epoch, call.answeredAt);
    for (const message of replay.messages)
      (socket.emit as (e: ServerEventName, p: unknown) => void)(message.event, {
        ...message.payload,
        seq: message.seq,
        epoch: replay.epoch,
      });
    this.milestones.report(socket.data, callId, TimelineType.REPLAYED, {
      count: replay.messages.length,
      afterSeq: lastSeq,
      complete: replay.complete,
    });
    const fresh = await this.resumeTokens.issue(userId, deviceId, callId);
    const role = userId === call.callerId ? 'caller' : 'callee';
    const peerAway = role === 'caller' ? call.calleeDisconnectedAt : call.callerDisconnectedAt;
    return {
      callId,
      state: call.state,
      role,
      polite: role === 'callee',
      peerDeviceId: role === 'caller' ? call.answeredDeviceId : call.callerDeviceId,
      peerReconnecting: peerAway !== null,
      iceServers: this.iceServers.mint(userId, callId),
      resumeToken: fresh.token,
      resumeTokenExpiresAt: fresh.expiresAt,
      replayed: replay.messages.length,
      version: call.version,
      epoch: replay.epoch,
      replayComplete: replay.complete,
    };
  }

  /** This socket now carries `call` for its user; relays go to the other side's device. */
  private async pair(socket: SignalingSocket, call: CallView): Promise<void> {
    socket.data.calls[call.id] = peerOf(call, socket.data.userId);
    await this.carriers.beat(socket, call.id);
  }

  /** Numbered and stored before it is sent or acked: an acknowledged message is never lost. */
  private async relay(
    socket: SignalingSocket,
    peer: string,
    event: 'call:sdp' | 'call:ice-candidate' | 'call:media-state',
    payload: { callId: string } & Record<string, unknown>,
  ): Promise<void> {
    const { seq, epoch } = await this.outbox.append(payload.callId, peer, event, payload);
    (socket.to(peer).emit as (e: string, p: unknown) => void)(event, { ...payload, seq, epoch });
  }

  /** Only the two devices carrying an accepted call know each other; everyone else is refused. */
  private peerRoom(socket: SignalingSocket, callId: string): string {
    const peer = socket.data.calls[callId];
    if (!peer) throw new AppError(ErrorCode.NOT_A_PARTY, 'This device is not carrying that call (not accepted yet, ended, or not yours).');
    return peer;
  }
}

const peerUserId = (deviceRoom: string) => deviceRoom.split(':')[1]!;
