import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import {
  type Actor,
  AppError,
  type CallEvent,
  type CallView,
  ErrorCode,
  type IceConnectionState,
  MEDIA_DOWN_STATES,
  MEDIA_UP_STATES,
  TimelineType,
} from '#contracts';
import { toCallView } from '../calls/call-view.mapper.js';
import { Call } from '../calls/call.entity.js';
import { recordOn } from '../calls/timeline.writer.js';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { CallsMetrics } from '../metrics/calls-metrics.service.js';
import { OutboxRelay } from '../outbox/outbox-relay.service.js';

type Side = 'caller' | 'callee';
const away = (side: Side): 'callerDisconnectedAt' | 'calleeDisconnectedAt' =>
  side === 'caller' ? 'callerDisconnectedAt' : 'calleeDisconnectedAt';
const carrier = (side: Side): 'callerCarrier' | 'calleeCarrier' => (side === 'caller' ? 'callerCarrier' : 'calleeCarrier');

/**
 * A call survives a dropped socket for RECONNECT_GRACE_MS and a media outage for MEDIA_GRACE_MS.
 * Each grace is the instant its trouble began, kept on the call's row; DeadlineCheck ends the call
 * once a grace has run out, and a party that came back (or media that recovered) clears it.
 */
@Injectable()
export class ConnectionGraceService {
  constructor(
    @Inject(CALLS_CONFIG) private readonly config: CallsConfig,
    private readonly outbox: OutboxRelay,
    private readonly metrics: CallsMetrics,
  ) {}

  /**
   * A party's connection dropped while it carried the call: the peer is told, the grace starts.
   * `carrierId` names the dropped connection; a drop of one that was since replaced (the party
   * resumed on another) is stale and changes nothing. Without it (the carrier sweep) the current
   * connection is meant.
   */
  async disconnected(callId: string, actor: Actor, carrierId?: string): Promise<CallView> {
    return this.commit(callId, actor, async (em, call, side) => {
      if (call[away(side)]) return [];
      if (carrierId && call[carrier(side)] && call[carrier(side)] !== carrierId) {
        await recordOn(em, call, {
          type: TimelineType.STALE_DROP,
          at: new Date(),
          actorUserId: actor.userId,
          actorDeviceId: actor.deviceId,
          data: { carrierId },
        });
        return [];
      }
      const since = new Date();
      call[away(side)] = since;
      await em.update(Call, call.id, { [away(side)]: since });
      await recordOn(em, call, { type: TimelineType.DISCONNECTED, at: since, actorUserId: actor.userId, actorDeviceId: actor.deviceId });
      const graceEndsAt = new Date(since.getTime() + this.config.RECONNECT_GRACE_MS).toISOString();
      return [{ type: 'reconnecting', call: toCallView(call), userId: actor.userId, deviceId: actor.deviceId, graceEndsAt }];
    });
  }

  /** The party is back on `carrierId` (any node). Works whether or not its drop was noticed (a killed node says nothing). */
  async resumed(callId: string, actor: Actor, carrierId?: string): Promise<CallView> {
    return this.commit(callId, actor, async (em, call, side) => {
      const awayMs = call[away(side)] ? Date.now() - call[away(side)]!.getTime() : null;
      const now = new Date();
      call[away(side)] = null;
      if (carrierId) call[carrier(side)] = carrierId;
      // Media could not recover, or connect, while this party was away: its time starts again now.
      if (call.mediaDownSince) call.mediaDownSince = now;
      if (call.connectDeadline) call.connectDeadline = new Date(now.getTime() + this.config.CONNECT_TIMEOUT_MS);
      call.reconnects += 1;
      await em.update(Call, call.id, {
        [away(side)]: null,
        [carrier(side)]: call[carrier(side)],
        mediaDownSince: call.mediaDownSince,
        connectDeadline: call.connectDeadline,
        reconnects: call.reconnects,
      });
      await recordOn(em, call, {
        type: TimelineType.RESUMED,
        at: now,
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
   * never ends a call. The first connected/completed report also meets the connect deadline.
   */
  async iceState(callId: string, actor: Actor, state: IceConnectionState): Promise<CallView> {
    let mediaWentDown = false;
    const view = await this.commit(callId, actor, async (em, call, side) => {
      if (call.state !== 'active') throw new AppError(ErrorCode.CALL_NOT_ACTIVE, 'ICE states are tracked once the call is answered.');
      const now = new Date();
      call[side === 'caller' ? 'callerIceState' : 'calleeIceState'] = state;
      await recordOn(em, call, {
        type: TimelineType.ICE_STATE,
        at: now,
        actorUserId: actor.userId,
        actorDeviceId: actor.deviceId,
        data: { state },
      });
      if (MEDIA_UP_STATES.includes(state)) call.connectDeadline = null;
      const anyDown = [call.callerIceState, call.calleeIceState].some((s) => s !== null && MEDIA_DOWN_STATES.includes(s));
      if (anyDown && !call.mediaDownSince) {
        call.mediaDownSince = now;
        mediaWentDown = true;
        await recordOn(em, call, { type: TimelineType.MEDIA_DOWN, at: now, data: { reportedBy: side } });
      } else if (!anyDown && call.mediaDownSince && MEDIA_UP_STATES.includes(state)) {
        await recordOn(em, call, {
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
        connectDeadline: call.connectDeadline,
      });
      return [];
    });
    if (mediaWentDown) this.metrics.mediaGraceStarted();
    return view;
  }

  private commit(
    callId: string,
    actor: Actor,
    work: (em: EntityManager, call: Call, side: Side) => Promise<CallEvent[]>,
  ): Promise<CallView> {
    return this.outbox.commit(async (em) => {
      const call = await em.findOne(Call, { where: { id: callId }, lock: { mode: 'pessimistic_write' } });
      if (!call || (actor.userId !== call.callerId && actor.userId !== call.calleeId))
        throw new AppError(ErrorCode.CALL_NOT_FOUND, 'No such call.');
      if (call.state === 'ended') throw new AppError(ErrorCode.CALL_ALREADY_ENDED, `The call has already ended (${call.endReason}).`);
      const side = carrierSide(call, actor);
      if (!side) throw new AppError(ErrorCode.NOT_A_PARTY, 'This device is not carrying the call.');
      const events = await work(em, call, side);
      return { result: toCallView(call), events };
    });
  }
}

/** Which side this device carries: the caller's placing device, or the callee's answering one. */
function carrierSide(call: Call, actor: Actor): Side | null {
  if (actor.userId === call.callerId && actor.deviceId === call.callerDeviceId) return 'caller';
  if (actor.userId === call.calleeId && actor.deviceId === call.answeredDeviceId) return 'callee';
  return null;
}
