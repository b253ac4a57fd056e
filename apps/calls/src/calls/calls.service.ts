import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import {
  type Actor,
  AppError,
  type CallAction,
  type CallEvent,
  type CallMilestoneJob,
  type CallView,
  type CreateCallRequest,
  type CreateCallResponse,
  ErrorCode,
  TimelineType,
} from '#contracts';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { type Committed, OutboxRelay } from '../outbox/outbox-relay.service.js';
import { CallInvite } from './call-invite.entity.js';
import { type Command, decide, isUnanswered } from './call-state-machine.js';
import { CallTimelineEntry } from './call-timeline-entry.entity.js';
import { toCallView } from './call-view.mapper.js';
import { Call } from './call.entity.js';
import { PushDispatcher } from '../push/push-dispatcher.service.js';
import { appendTimeline, recordOn } from './timeline.writer.js';

/** How a server-side end is described: the command it runs. */
export type ServerEnd = 'timeout' | 'connection-lost' | 'ice-failed' | 'fail';

/**
 * The authority on call state. Every transition runs in one transaction under locks, with its
 * events and pushes written to the outbox in that transaction; they leave only after the commit,
 * so gateways never announce a state that could roll back, and nothing committed goes unannounced.
 */
@Injectable()
export class CallsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CALLS_CONFIG) private readonly config: CallsConfig,
    private readonly outbox: OutboxRelay,
    private readonly pushes: PushDispatcher,
  ) {}

  async create(request: CreateCallRequest): Promise<CreateCallResponse> {
    if (request.caller.userId === request.calleeId) throw new AppError(ErrorCode.SELF_CALL, 'You cannot call yourself.');
    const response = await this.outbox.commit((em) => this.createIn(em, request));
    if (response.merged) void this.pushes.withdraw(response.call);
    return response;
  }

  /** `carrierId`: the connection the request came on; an accept makes it the callee's carrier. */
  async act(callId: string, action: CallAction, actor: Actor, carrierId?: string): Promise<CallView> {
    const command: Command = { kind: action, actor };
    try {
      const view = await this.outbox.commit(async (em) => {
        const call = await this.lockCall(em, callId);
        if (action === 'accept' && this.answeredBy(call, actor)) return this.acceptAgain(em, call, carrierId);
        if (action === 'accept' && carrierId) call.calleeCarrier = carrierId;
        return this.apply(em, call, command);
      });
      // The call stopped ringing: VoIP pushes still waiting would ring a call that is over.
      if (action === 'accept' || action === 'decline' || action === 'cancel') void this.pushes.withdraw(view);
      return view;
    } catch (error) {
      // A losing accept (two devices answered at once) changes nothing, but admins want to see it.
      if (error instanceof AppError && error.code === ErrorCode.ANSWERED_ELSEWHERE && action === 'accept')
        await this.dataSource.transaction((em) =>
          appendTimeline(em, callId, {
            type: TimelineType.ACCEPT_REJECTED,
            at: new Date(),
            actorUserId: actor.userId,
            actorDeviceId: actor.deviceId,
          }),
        );
      throw error;
    }
  }

  /** Ends an open call for a server-side reason, if `stillTrue` holds under the row lock. */
  async endIf(callId: string, kind: ServerEnd, stillTrue: (call: Call) => boolean): Promise<boolean> {
    const ended = await this.outbox.commit(async (em) => {
      const call = await em.findOne(Call, { where: { id: callId }, lock: { mode: 'pessimistic_write' } });
      if (!call || call.state === 'ended' || !stillTrue(call)) return { result: null, events: [] };
      return this.apply(em, call, { kind });
    });
    if (ended && ended.answeredAt === null) void this.pushes.withdraw(ended);
    return ended !== null;
  }

  async recordMilestone(job: CallMilestoneJob, sourceId: string): Promise<boolean> {
    return this.dataSource.transaction(async (em) => {
      const known = await em.existsBy(CallTimelineEntry, { sourceId });
      const call = await em.findOneBy(Call, { id: job.callId });
      if (known || !call) return false;
      // Only the two devices carrying the call report on it (quality reports may follow its end).
      const carrier =
        (job.actorUserId === call.callerId && job.actorDeviceId === call.callerDeviceId) ||
        (job.actorUserId === call.calleeId && job.actorDeviceId === call.answeredDeviceId);
      if (!carrier) return false;
      if (job.type === TimelineType.QUALITY_SUMMARY) {
        const role = job.actorUserId === call.callerId ? 'caller' : 'callee';
        await em.query(
          `UPDATE calls SET quality_summary = coalesce(quality_summary, '{}'::jsonb) || jsonb_build_object($2::text, $3::jsonb) WHERE id = $1`,
          [call.id, role, JSON.stringify(job.data)],
        );
      }
      await appendTimeline(em, job.callId, {
        type: job.type,
        at: new Date(job.at),
        actorUserId: job.actorUserId,
        actorDeviceId: job.actorDeviceId,
        data: job.data,
        sourceId,
      });
      return true;
    });
  }

  private answeredBy(call: Call, actor: Actor): boolean {
    return call.state === 'active' && actor.userId === call.calleeId && actor.deviceId === call.answeredDeviceId;
  }

  /**
   * The answering device accepts again: its first ack was lost (a crash after the commit, a dropped
   * socket). The answer stands, now carried by this connection; nothing else changes.
   */
  private async acceptAgain(em: EntityManager, call: Call, carrierId: string | undefined): Promise<Committed<CallView>> {
    if (carrierId && carrierId !== call.calleeCarrier) {
      call.calleeCarrier = carrierId;
      await em.update(Call, call.id, { calleeCarrier: carrierId });
    }
    return { result: toCallView(call), events: [] };
  }

  private async createIn(em: EntityManager, request: CreateCallRequest): Promise<Committed<CreateCallResponse>> {
    const { caller, calleeId } = request;
    // Lock both users, in a fixed order so two crossing invites cannot deadlock. Everything that
    // decides busy and glare happens under these locks, across every calls instance.
    for (const userId of [caller.userId, calleeId].sort())
      await em.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`user:${userId}`]);

    const replay = await this.replayInvite(em, request);
    if (replay) return { result: replay, events: [] };

    const open = await em
      .createQueryBuilder(Call, 'c')
      .setLock('pessimistic_write')
      .where("c.state <> 'ended'")
      .andWhere('(c.caller_id IN (:...users) OR c.callee_id IN (:...users))', { users: [caller.userId, calleeId] })
      .getMany();

    // Glare: the callee is already calling us. Both people want to talk, so our invite answers
    // theirs from this device, instead of two calls crossing and both ringing (Matrix, RingRTC and
    // Twilio leave this to clients, whose users keep reporting one-way or no media).
    const crossing = open.find((c) => c.callerId === calleeId && c.calleeId === caller.userId && isUnanswered(c.state));
    if (crossing) {
      crossing.calleeCarrier = request.carrierId;
      await recordOn(em, crossing, {
        type: TimelineType.GLARE_MERGED,
        at: new Date(),
        actorUserId: caller.userId,
        actorDeviceId: caller.deviceId,
        data: { idempotencyKey: request.idempotencyKey },
      });
      const applied = await this.apply(em, crossing, { kind: 'accept', actor: caller });
      await em.insert(CallInvite, {
        userId: caller.userId,
        idempotencyKey: request.idempotencyKey,
        callId: crossing.id,
        calleeId,
        merged: true,
      });
      return { result: { call: applied.result, merged: true }, events: applied.events };
    }
    if (open.some((c) => c.callerId === caller.userId || c.calleeId === caller.userId))
      throw new AppError(ErrorCode.CALLER_BUSY, 'You are already in a call.');

    const now = new Date();
    const call = em.create(Call, {
      id: randomUUID(),
      state: 'initiated',
      endReason: null,
      media: request.media,
      callerId: caller.userId,
      callerDeviceId: caller.deviceId,
      callerCarrier: request.carrierId,
      calleeCarrier: null,
      connectDeadline: null,
      callerName: request.callerName,
      calleeId,
      answeredDeviceId: null,
      createdAt: now,
      ringingAt: null,
      answeredAt: null,
      endedAt: null,
      ringDeadline: new Date(now.getTime() + this.config.RING_TIMEOUT_MS),
      durationMs: null,
      lastSeq: 0,
    });
    await em.insert(Call, call);
    await em.insert(CallInvite, {
      userId: caller.userId,
      idempotencyKey: request.idempotencyKey,
      callId: call.id,
      calleeId,
      merged: false,
    });
    await recordOn(em, call, {
      type: TimelineType.INVITED,
      at: now,
      actorUserId: caller.userId,
      actorDeviceId: caller.deviceId,
      data: { media: request.media, calleeId },
    });

    if (open.length > 0) {
      // The callee is in another call: recorded for history, answered to the caller as busy.
      this.finish(call, 'busy', now);
      await em.update(Call, call.id, this.stateColumns(call));
      await recordOn(em, call, { type: TimelineType.BUSY, at: now });
      return { result: { call: toCallView(call), merged: false }, events: [{ type: 'ended', call: toCallView(call), byDeviceId: null }] };
    }
    // The ring deadline is the row's ring_deadline, kept by DeadlineCheck; pushes leave after the commit.
    const pushes = await this.pushes.ring(em, call);
    return { result: { call: toCallView(call), merged: false }, events: [{ type: 'created', call: toCallView(call) }], pushes };
  }

  private async replayInvite(em: EntityManager, request: CreateCallRequest): Promise<CreateCallResponse | null> {
    const invite = await em.findOneBy(CallInvite, { userId: request.caller.userId, idempotencyKey: request.idempotencyKey });
    if (!invite) return null;
    if (invite.calleeId !== request.calleeId)
      throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotency key was already used for a call to someone else.');
    const call = await em.findOneByOrFail(Call, { id: invite.callId });
    return { call: toCallView(call), merged: invite.merged };
  }

  private async lockCall(em: EntityManager, callId: string): Promise<Call> {
    const call = await em.findOne(Call, { where: { id: callId }, lock: { mode: 'pessimistic_write' } });
    if (!call) throw new AppError(ErrorCode.CALL_NOT_FOUND, 'No such call.');
    return call;
  }

  /** Applies one command to a locked call: decide, write, record, and say what to announce. */
  private async apply(em: EntityManager, call: Call, command: Command): Promise<Committed<CallView>> {
    const actor = 'actor' in command ? command.actor : null;
    if (actor && actor.userId !== call.callerId && actor.userId !== call.calleeId)
      throw new AppError(ErrorCode.CALL_NOT_FOUND, 'No such call.'); // strangers learn nothing
    const outcome = decide(call, command);
    const now = new Date();
    if (outcome.to === 'ringing' && !call.ringingAt) call.ringingAt = now;
    if (outcome.to === 'active') {
      call.answeredAt = now;
      call.answeredDeviceId = outcome.answeredDeviceId;
      // Media must connect by then, or the call ends as failed (DeadlineCheck).
      call.connectDeadline = new Date(now.getTime() + this.config.CONNECT_TIMEOUT_MS);
    }
    call.state = outcome.to;
    if (outcome.to === 'ended') this.finish(call, outcome.endReason!, now);
    await em.update(Call, call.id, this.stateColumns(call));
    await recordOn(em, call, { type: outcome.timeline, at: now, actorUserId: actor?.userId, actorDeviceId: actor?.deviceId });

    const view = toCallView(call);
    const events: CallEvent[] = [];
    if (outcome.event === 'ringing') events.push({ type: 'ringing', call: view, deviceId: actor!.deviceId });
    if (outcome.event === 'accepted') events.push({ type: 'accepted', call: view });
    if (outcome.event === 'ended') events.push({ type: 'ended', call: view, byDeviceId: actor?.deviceId ?? null });
    const pushes = call.endReason === 'cancelled' || call.endReason === 'missed' ? await this.pushes.missed(em, call) : [];
    return { result: view, events, pushes };
  }

  private finish(call: Call, reason: NonNullable<Call['endReason']>, now: Date): void {
    call.state = 'ended';
    call.endReason = reason;
    call.endedAt = now;
    call.durationMs = call.answeredAt ? now.getTime() - call.answeredAt.getTime() : 0;
    call.connectDeadline = null;
  }

  private stateColumns(call: Call): Partial<Call> {
    const { state, endReason, ringingAt, answeredAt, answeredDeviceId, endedAt, durationMs, calleeCarrier, connectDeadline } = call;
    return { state, endReason, ringingAt, answeredAt, answeredDeviceId, endedAt, durationMs, calleeCarrier, connectDeadline };
  }
}
