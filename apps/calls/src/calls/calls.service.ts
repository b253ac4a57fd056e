import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import {
  AFTER_END_MILESTONES,
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
  QUALITY_SAMPLE,
} from '#contracts';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { type Committed, OutboxRelay } from '../outbox/outbox-relay.service.js';
import { type Command, decide, isUnanswered } from './call-state-machine.js';
import { CallTimelineEntry } from './call-timeline-entry.entity.js';
import { toCallView } from './call-view.mapper.js';
import { Call } from './call.entity.js';
import { PushDispatcher } from '../push/push-dispatcher.service.js';
import { appendCarrierReport, appendTimeline, recordOn, recordTransition } from './timeline.writer.js';
import { CALL_COLUMNS, callColumns, toCall } from './call-row.js';
import { appendQualitySample } from '../history/quality-sample.writer.js';
import { prepared } from '../database/prepared-statements.js';

const INVITED_CALL_COLUMNS = callColumns('c');

const INSERT_INVITE = prepared(
  `INSERT INTO call_invites (user_id, idempotency_key, call_id, callee_id, merged) VALUES ($1, $2, $3, $4, $5)`,
);

const INSERT_CALL = prepared(`
  WITH call AS (
    INSERT INTO calls (id, state, media, caller_id, caller_device_id, caller_carrier, caller_name, callee_id, created_at, ring_deadline, last_seq)
    VALUES ($1, 'initiated', $2, $3, $4, $5, $6, $7, $8, $9, 1)
  ), invite AS (
    INSERT INTO call_invites (user_id, idempotency_key, call_id, callee_id, merged) VALUES ($3, $10, $1, $7, false)
  )
  INSERT INTO call_timeline (call_id, seq, type, at, actor_user_id, actor_device_id, data) VALUES ($1, 1, $11, $8, $3, $4, $12::jsonb)`);

/** Both user locks in one round trip: a select list is evaluated left to right, so the order holds. */
const LOCK_USERS = prepared('SELECT pg_advisory_xact_lock(hashtextextended($1, 0)), pg_advisory_xact_lock(hashtextextended($2, 0))');

const OPEN_CALLS_OF = prepared(
  `SELECT ${CALL_COLUMNS} FROM calls WHERE state <> 'ended' AND (caller_id = ANY($1) OR callee_id = ANY($1)) FOR UPDATE`,
);

const INVITE_BY_KEY = prepared(`SELECT i.callee_id AS "inviteCalleeId", i.merged, ${INVITED_CALL_COLUMNS}
  FROM call_invites i JOIN calls c ON c.id = i.call_id WHERE i.user_id = $1 AND i.idempotency_key = $2`);

const LOCK_CALL = prepared(`SELECT ${CALL_COLUMNS} FROM calls WHERE id = $1 FOR UPDATE`);

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
      const call = await this.lockedCall(em, callId);
      if (!call || call.state === 'ended' || !stillTrue(call)) return { result: null, events: [] };
      return this.apply(em, call, { kind });
    });
    if (ended && ended.answeredAt === null) void this.pushes.withdraw(ended);
    return ended !== null;
  }

  /**
   * An admin ends an open call (one stuck open, typically): the same locked transition as any end,
   * so the parties hear call:ended through the outbox, with `reason` on the timeline.
   */
  async endByAdmin(callId: string, reason: string): Promise<CallView> {
    const view = await this.outbox.commit(async (em) => this.apply(em, await this.lockCall(em, callId), { kind: 'admin-end', reason }));
    if (view.answeredAt === null) void this.pushes.withdraw(view);
    return view;
  }

  async recordMilestone(job: CallMilestoneJob, sourceId: string): Promise<boolean> {
    if (job.type === QUALITY_SAMPLE) return appendQualitySample(this.dataSource, job);
    const entry = {
      type: job.type,
      at: new Date(job.at),
      actorUserId: job.actorUserId,
      actorDeviceId: job.actorDeviceId,
      data: job.data,
      sourceId,
    };
    // Every call reports several milestones: one statement each, no transaction around it.
    if (job.type !== TimelineType.QUALITY_SUMMARY)
      return appendCarrierReport(this.dataSource, job.callId, entry, AFTER_END_MILESTONES.includes(job.type));
    return this.dataSource.transaction(async (em) => {
      const known = await em.existsBy(CallTimelineEntry, { sourceId });
      const call = await em.findOneBy(Call, { id: job.callId });
      if (known || !call) return false;
      // Only the two devices carrying the call report on it (quality reports may follow its end).
      const carrier =
        (job.actorUserId === call.callerId && job.actorDeviceId === call.callerDeviceId) ||
        (job.actorUserId === call.calleeId && job.actorDeviceId === call.answeredDeviceId);
      if (!carrier) return false;
      const role = job.actorUserId === call.callerId ? 'caller' : 'callee';
      const relayed = (job.data as { candidateType?: unknown } | null)?.candidateType === 'relay';
      await em.query(
        `UPDATE calls SET quality_summary = coalesce(quality_summary, '{}'::jsonb) || jsonb_build_object($2::text, $3::jsonb),
           relayed = relayed OR $4 WHERE id = $1`,
        [call.id, role, JSON.stringify(job.data), relayed],
      );
      await appendTimeline(em, job.callId, entry);
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
    const [first, second] = [caller.userId, calleeId].sort().map((userId) => `user:${userId}`);
    await em.query(LOCK_USERS, [first, second]);

    const replay = await this.replayInvite(em, request);
    if (replay) return { result: replay, events: [] };

    const openRows: Record<string, unknown>[] = await em.query(OPEN_CALLS_OF, [[caller.userId, calleeId]]);
    const open = openRows.map(toCall);

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
      await em.query(INSERT_INVITE, [caller.userId, request.idempotencyKey, crossing.id, calleeId, true]);
      return { result: { call: applied.result, merged: true }, events: applied.events };
    }
    if (open.some((c) => c.callerId === caller.userId || c.calleeId === caller.userId))
      throw new AppError(ErrorCode.CALLER_BUSY, 'You are already in a call.');

    const now = new Date();
    const call = Object.assign(new Call(), {
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
      lastSeq: 1, // the invited entry below
      callerDisconnectedAt: null,
      calleeDisconnectedAt: null,
      callerIceState: null,
      calleeIceState: null,
      mediaDownSince: null,
      qualitySummary: null,
      reconnects: 0,
      relayed: false,
    } satisfies Call);
    // The call, its idempotency key and its first timeline entry: one statement, one round trip.
    await em.query(INSERT_CALL, [
      call.id,
      call.media,
      call.callerId,
      call.callerDeviceId,
      call.callerCarrier,
      call.callerName,
      call.calleeId,
      call.createdAt,
      call.ringDeadline,
      request.idempotencyKey,
      TimelineType.INVITED,
      JSON.stringify({ media: request.media, calleeId }),
    ]);

    if (open.length > 0) {
      // The callee is in another call: recorded for history, answered to the caller as busy.
      this.finish(call, 'busy', now);
      await recordTransition(em, call, { type: TimelineType.BUSY, at: now });
      return { result: { call: toCallView(call), merged: false }, events: [{ type: 'ended', call: toCallView(call), byDeviceId: null }] };
    }
    // The ring deadline is the row's ring_deadline, kept by DeadlineCheck; pushes leave after the commit.
    const pushes = await this.pushes.ring(em, call);
    return { result: { call: toCallView(call), merged: false }, events: [{ type: 'created', call: toCallView(call) }], pushes };
  }

  private async replayInvite(em: EntityManager, request: CreateCallRequest): Promise<CreateCallResponse | null> {
    const rows: (Record<string, unknown> & { inviteCalleeId: string; merged: boolean })[] = await em.query(INVITE_BY_KEY, [
      request.caller.userId,
      request.idempotencyKey,
    ]);
    const row = rows[0];
    if (!row) return null;
    if (row.inviteCalleeId !== request.calleeId)
      throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotency key was already used for a call to someone else.');
    const { inviteCalleeId: _, merged, ...call } = row;
    return { call: toCallView(toCall(call)), merged };
  }

  private async lockCall(em: EntityManager, callId: string): Promise<Call> {
    const call = await this.lockedCall(em, callId);
    if (!call) throw new AppError(ErrorCode.CALL_NOT_FOUND, 'No such call.');
    return call;
  }

  private async lockedCall(em: EntityManager, callId: string): Promise<Call | null> {
    const rows: Record<string, unknown>[] = await em.query(LOCK_CALL, [callId]);
    return rows[0] ? toCall(rows[0]) : null;
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
    const data = command.kind === 'admin-end' ? { reason: command.reason } : null;
    await recordTransition(em, call, { type: outcome.timeline, at: now, actorUserId: actor?.userId, actorDeviceId: actor?.deviceId, data });

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
}
