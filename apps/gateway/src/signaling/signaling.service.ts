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
  QUALITY_SAMPLE,
} from '#contracts';
import { CallOutbox } from '../call-session/call-outbox.service.js';
import { CallSessions } from '../call-session/call-sessions.service.js';
import { CarrierHeartbeat } from '../call-session/carrier-heartbeat.service.js';
import { IceServersService } from '../call-session/ice-servers.service.js';
import { type ResumeLock, ResumeLocks } from '../call-session/resume-locks.service.js';
import { ResumeTokens } from '../call-session/resume-tokens.service.js';
import { InviteLimits } from '../limits/invite-limits.service.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.service.js';
import { carriedRecently, carry } from './carried-calls.js';
import { CallsClient } from './calls.client.js';
import { MilestoneReporter } from './milestone-reporter.service.js';
import type { SignalingSocket } from './signaling-socket.js';
import { drained } from './socket-drain.js';

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
    private readonly inviteLimits: InviteLimits,
    private readonly metrics: GatewayMetrics,
    private readonly resumeLocks: ResumeLocks,
  ) {}

  async invite(socket: SignalingSocket, payload: InvitePayload): Promise<ClientResult<'call:invite'>> {
    const { userId, deviceId, displayName } = socket.data;
    await this.inviteLimits.check(userId, payload.calleeId);
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
      if (!(call.id in socket.data.calls)) carry(socket.data, call.id, null);
      await this.carriers.beat(socket, call.id);
    }
    // Glare: this invite answered the callee's call to us from this device, which now carries it.
    if (merged && call.state === 'active') await this.pair(socket, call);
    const resumeToken = ringing || (merged && call.state === 'active') ? this.resumeTokens.issue(userId, deviceId, call.id).token : null;
    return { callId: call.id, state: call.state, role, merged, ringDeadline: call.ringDeadline, resumeToken };
  }

  async act(
    socket: SignalingSocket,
    action: Exclude<CallAction, 'accept'>,
    { callId }: CallRefPayload,
  ): Promise<ClientResult<'call:hangup'>> {
    const { userId, deviceId } = socket.data;
    const call = await this.calls.act(callId, action, { userId, deviceId });
    // An ack that says ended is final: this socket stops carrying the call now, not when `call:ended`
    // comes back through Redis, so a relay it sends after the ack is refused, never relayed.
    if (call.state === 'ended' && call.id in socket.data.calls) {
      delete socket.data.calls[call.id];
      this.outbox.forget(socket, call.id);
    }
    return { callId: call.id, state: call.state };
  }

  /** On ok this socket carries the call: paired with the caller's device before the ack leaves. */
  async accept(socket: SignalingSocket, { callId }: CallRefPayload): Promise<ClientResult<'call:accept'>> {
    const { userId, deviceId } = socket.data;
    const call = await this.calls.act(callId, 'accept', { userId, deviceId }, socket.id);
    await this.pair(socket, call);
    const resume = this.resumeTokens.issue(userId, deviceId, callId);
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

  /**
   * The calls app answers for a socket that carries the call, paired or not: a ringing caller gets
   * CALL_NOT_ACTIVE from it (it is a party, there is just no media yet), and a caller that missed
   * `call:accepted` gets its report recorded.
   */
  async iceState(socket: SignalingSocket, { callId, state }: IceStatePayload): Promise<ClientResult<'call:ice-state'>> {
    this.carrying(socket, callId);
    await this.calls.iceState(callId, { userId: socket.data.userId, deviceId: socket.data.deviceId }, state);
    return { callId };
  }

  /** Off the relay path: queued for the call's timeline; the calls app keeps only its carriers' reports. */
  quality(socket: SignalingSocket, { callId, sample, final }: QualityPayload): ClientResult<'call:quality'> {
    if (!carriedRecently(socket.data, callId)) throw new AppError(ErrorCode.NOT_A_PARTY, 'This device has not carried that call.');
    this.milestones.report(socket.data, callId, final ? TimelineType.QUALITY_SUMMARY : QUALITY_SAMPLE, { ...sample });
    return { callId };
  }

  freshIceServers(socket: SignalingSocket, { callId }: CallRefPayload): ClientResult<'call:ice-servers'> {
    this.carrying(socket, callId);
    return this.iceServers.mint(socket.data.userId, callId);
  }

  /**
   * Back after a dropped socket, on this node or any other: the token proves this device carried the
   * call; the calls app re-admits it (and tells the peer); then everything it missed is replayed in
   * seq order before the ack. One resume per device at a time: another one, from any socket of the
   * device on any node, is refused RATE_LIMITED before it changes anything.
   */
  async resume(socket: SignalingSocket, payload: ResumePayload): Promise<ClientResult<'call:resume'>> {
    const { userId, deviceId } = socket.data;
    this.resumeTokens.verify(payload.resumeToken, socket.data, payload.callId);
    const lock = await this.resumeLocks.acquire(userId, deviceId);
    // Only a live socket holds the claim: the app that reconnects after a drop mid-resume must not
    // wait for the dead socket's resume (which stops at its next page anyway).
    const release = () => void this.resumeLocks.release(lock).catch(() => undefined);
    socket.once('disconnect', release);
    try {
      return await this.resumeHeld(socket, payload, lock);
    } finally {
      socket.off('disconnect', release);
      // A claim that cannot be deleted (Redis trouble) lapses by itself; the resume's answer stands.
      await this.resumeLocks.release(lock).catch(() => undefined);
    }
  }

  private async resumeHeld(
    socket: SignalingSocket,
    { callId, lastSeq, epoch }: ResumePayload,
    lock: ResumeLock,
  ): Promise<ClientResult<'call:resume'>> {
    const { userId, deviceId } = socket.data;
    // The carrier key first: once the calls app names this socket the carrier, its sweep must find
    // the key, or it would start a grace for a party that is right here.
    await this.carriers.beat(socket, callId);
    const call = await this.calls.act(callId, 'resume', { userId, deviceId }, socket.id);
    carry(socket.data, callId, peerOf(call, userId));
    const fenced = await this.sessions.supersede(socket, callId);
    // Page by page, each out of this node before the next is read: a resume holds one page, not a stream.
    const replay = await this.outbox.replay(callId, Rooms.device(userId, deviceId), lastSeq, epoch, async (messages, current) => {
      if (!socket.connected) throw new AppError(ErrorCode.INTERNAL, 'The resuming socket closed during its replay.');
      for (const message of messages)
        (socket.emit as (e: ServerEventName, p: unknown) => void)(message.event, { ...message.payload, seq: message.seq, epoch: current });
      await Promise.all([drained(socket), this.resumeLocks.renew(lock)]);
    });
    this.milestones.report(socket.data, callId, TimelineType.REPLAYED, {
      count: replay.count,
      afterSeq: lastSeq,
      complete: replay.complete && fenced,
    });
    const fresh = this.resumeTokens.issue(userId, deviceId, callId);
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
      replayed: replay.count,
      version: call.version,
      epoch: replay.epoch,
      replayComplete: replay.complete && fenced,
    };
  }

  /**
   * This socket now carries the answered `call` for its user; relays go to the other side's device.
   * Answering also opens both parties' relay stores, so a replay can prove it holds everything.
   */
  private async pair(socket: SignalingSocket, call: CallView): Promise<void> {
    const { userId, deviceId } = socket.data;
    const peer = peerOf(call, userId);
    carry(socket.data, call.id, peer);
    await Promise.all([
      this.carriers.beat(socket, call.id),
      peer ? this.outbox.open(call.id, [Rooms.device(userId, deviceId), peer]) : undefined,
    ]);
  }

  /** Forwarded as soon as it is numbered, acked once stored: an acknowledged message is never lost. */
  private relay(
    socket: SignalingSocket,
    peer: string,
    event: 'call:sdp' | 'call:ice-candidate' | 'call:media-state',
    payload: { callId: string } & Record<string, unknown>,
  ): Promise<void> {
    const startedAt = performance.now();
    return this.outbox
      .relay(socket, payload.callId, peer, event, payload, (seq, epoch) =>
        (socket.to(peer).emit as (e: string, p: unknown) => void)(event, { ...payload, seq, epoch }),
      )
      .then(() => this.metrics.relayed(event, startedAt));
  }

  /** This socket placed, answered or resumed the call (it may still ring), and nothing has taken it over since. */
  private carrying(socket: SignalingSocket, callId: string): void {
    if (!(callId in socket.data.calls)) throw new AppError(ErrorCode.NOT_A_PARTY, 'This device is not carrying that call.');
  }

  /** Only the two devices carrying an accepted call know each other; everyone else is refused. */
  private peerRoom(socket: SignalingSocket, callId: string): string {
    const peer = socket.data.calls[callId];
    if (!peer) throw new AppError(ErrorCode.NOT_A_PARTY, 'This device is not carrying that call (not accepted yet, ended, or not yours).');
    return peer;
  }
}

const peerUserId = (deviceRoom: string) => deviceRoom.split(':')[1]!;
