import { InjectQueue } from '@nestjs/bull';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { DataSource, type EntityManager } from 'typeorm';
import {
  type Actor,
  AppError,
  type CallEvent,
  type CallView,
  ErrorCode,
  GRACE_QUEUE,
  type GraceJob,
  type IceConnectionState,
  MEDIA_DOWN_STATES,
  MEDIA_UP_STATES,
  TimelineType,
  graceJobOptions,
} from '#contracts';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { CallEventsPublisher } from './call-events.publisher.js';
import { toCallView } from './call-view.mapper.js';
import { Call } from './call.entity.js';
import { CallsService } from './calls.service.js';
import { appendTimeline } from './timeline.writer.js';

type Side = 'caller' | 'callee';

/**
 * A call survives a dropped socket for RECONNECT_GRACE_MS and a media outage for MEDIA_GRACE_MS.
 * The graces are delayed jobs keyed by the instant the trouble began, so they survive a calls
 * restart, and a party that came back in time (or media that recovered) simply defuses them.
 */
@Injectable()
export class ConnectionGraceService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(GRACE_QUEUE) private readonly queue: Queue<GraceJob>,
    @Inject(CALLS_CONFIG) private readonly config: CallsConfig,
    private readonly publisher: CallEventsPublisher,
    private readonly calls: CallsService,
  ) {}

  /** A party's socket dropped while it carried the call: the peer is told, the grace starts. */
  async disconnected(callId: string, actor: Actor): Promise<CallView> {
    return this.commit(callId, actor, async (em, call, side) => {
      const column = side === 'caller' ? 'callerDisconnectedAt' : 'calleeDisconnectedAt';
      if (call[column]) return [];
      const since = new Date();
      call[column] = since;
      await em.update(Call, call.id, { [column]: since });
      await appendTimeline(em, call.id, {
        type: TimelineType.DISCONNECTED,
        at: since,
        actorUserId: actor.userId,
        actorDeviceId: actor.deviceId,
      });
      const job: GraceJob = { kind: 'reconnect', callId, userId: actor.userId, since: since.toISOString() };
      await this.queue.add(job, graceJobOptions(job, this.config.RECONNECT_GRACE_MS));
      const graceEndsAt = new Date(since.getTime() + this.config.RECONNECT_GRACE_MS).toISOString();
      return [{ type: 'reconnecting', call: toCallView(call), userId: actor.userId, deviceId: actor.deviceId, graceEndsAt }];
    });
  }

  /** The party is back (on any node). Works whether or not its drop was noticed (a killed node says nothing). */
  async resumed(callId: string, actor: Actor): Promise<CallView> {
    return this.commit(callId, actor, async (em, call, side) => {
      const column = side === 'caller' ? 'callerDisconnectedAt' : 'calleeDisconnectedAt';
      const awayMs = call[column] ? Date.now() - call[column]!.getTime() : null;
      call[column] = null;
      await em.update(Call, call.id, { [column]: null });
      // Media could not recover while this party was away: its media grace starts now, afresh.
      if (call.mediaDownSince) {
        call.mediaDownSince = new Date();
        await em.update(Call, call.id, { mediaDownSince: call.mediaDownSince });
        const job: GraceJob = { kind: 'media', callId, since: call.mediaDownSince.toISOString() };
        await this.queue.add(job, graceJobOptions(job, this.config.MEDIA_GRACE_MS));
      }
      await appendTimeline(em, call.id, {
        type: TimelineType.RESUMED,
        at: new Date(),
        actorUserId: actor.userId,
        actorDeviceId: actor.deviceId,
        data: { awayMs },
      });
      return [{ type: 'resumed', call: toCallView(call), userId: actor.userId, deviceId: actor.deviceId }];
    });
  }

  /**
   * A party's ICE state changed. Media counts as down from the first disconnected/failed report until
   * a party reports connected/completed while no party's last report is down; one side's blip alone
   * never ends a call.
   */
  async iceState(callId: string, actor: Actor, state: IceConnectionState): Promise<CallView> {
    return this.commit(callId, actor, async (em, call, side) => {
      if (call.state !== 'active') throw new AppError(ErrorCode.CALL_NOT_ACTIVE, 'ICE states are tracked once the call is answered.');
      const now = new Date();
      call[side === 'caller' ? 'callerIceState' : 'calleeIceState'] = state;
      await appendTimeline(em, call.id, {
        type: TimelineType.ICE_STATE,
        at: now,
        actorUserId: actor.userId,
        actorDeviceId: actor.deviceId,
        data: { state },
      });
      const anyDown = [call.callerIceState, call.calleeIceState].some((s) => s !== null && MEDIA_DOWN_STATES.includes(s));
      if (anyDown && !call.mediaDownSince) {
        call.mediaDownSince = now;
        await appendTimeline(em, call.id, { type: TimelineType.MEDIA_DOWN, at: now, data: { reportedBy: side } });
        const job: GraceJob = { kind: 'media', callId, since: now.toISOString() };
        await this.queue.add(job, graceJobOptions(job, this.config.MEDIA_GRACE_MS));
      } else if (!anyDown && call.mediaDownSince && MEDIA_UP_STATES.includes(state)) {
        await appendTimeline(em, call.id, {
          type: TimelineType.MEDIA_RECOVERED,
          at: now,
          data: { downMs: now.getTime() - call.mediaDownSince.getTime() },
        });
        call.mediaDownSince = null;
      }
      await em.update(Call, call.id, {
        callerIceState: call.callerIceState,
        calleeIceState: call.calleeIceState,
        mediaDownSince: call.mediaDownSince,
      });
      return [];
    });
  }

  /** A grace ran out. Ends the call only if the trouble it was armed for is still the current one. */
  async expire(job: GraceJob): Promise<void> {
    await this.calls.endIf(job.callId, job.kind === 'reconnect' ? 'connection-lost' : 'ice-failed', (call) => {
      // While a party is away its media cannot recover; its own grace decides, and a resume re-arms this one.
      if (job.kind === 'media')
        return call.mediaDownSince?.toISOString() === job.since && !call.callerDisconnectedAt && !call.calleeDisconnectedAt;
      const at = job.userId === call.callerId ? call.callerDisconnectedAt : call.calleeDisconnectedAt;
      return at?.toISOString() === job.since;
    });
  }

  private async commit(
    callId: string,
    actor: Actor,
    work: (em: EntityManager, call: Call, side: Side) => Promise<CallEvent[]>,
  ): Promise<CallView> {
    const { view, events } = await this.dataSource.transaction(async (em) => {
      const call = await em.findOne(Call, { where: { id: callId }, lock: { mode: 'pessimistic_write' } });
      if (!call || (actor.userId !== call.callerId && actor.userId !== call.calleeId))
        throw new AppError(ErrorCode.CALL_NOT_FOUND, 'No such call.');
      if (call.state === 'ended') throw new AppError(ErrorCode.CALL_ALREADY_ENDED, `The call has already ended (${call.endReason}).`);
      const side = carrierSide(call, actor);
      if (!side) throw new AppError(ErrorCode.NOT_A_PARTY, 'This device is not carrying the call.');
      const events = await work(em, call, side);
      return { view: toCallView(call), events };
    });
    await this.publisher.publish(events);
    return view;
  }
}

/** Which side this device carries: the caller's placing device, or the callee's answering one. */
function carrierSide(call: Call, actor: Actor): Side | null {
  if (actor.userId === call.callerId && actor.deviceId === call.callerDeviceId) return 'caller';
  if (actor.userId === call.calleeId && actor.deviceId === call.answeredDeviceId) return 'callee';
  return null;
}
