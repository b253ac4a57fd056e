import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError, type CallDetailView, type CallStateView, type CallView, ErrorCode, type PushLogEntry, TimelineType } from '#contracts';
import { CallTimelineEntry } from './call-timeline-entry.entity.js';
import { toCallView, toTimelineView } from './call-view.mapper.js';
import { Call } from './call.entity.js';
import type { ListCallsQuery } from './list-calls.query.js';

/** Read side for admins: call history and one call's timeline. */
@Injectable()
export class CallHistoryService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async list(query: ListCallsQuery): Promise<CallView[]> {
    const qb = this.dataSource.getRepository(Call).createQueryBuilder('c').orderBy('c.created_at', 'DESC').limit(query.limit);
    if (query.userId) qb.andWhere('(c.caller_id = :u OR c.callee_id = :u)', { u: query.userId });
    if (query.state) qb.andWhere('c.state = :state', { state: query.state });
    if (query.endReason) qb.andWhere('c.end_reason = :reason', { reason: query.endReason });
    if (query.before) qb.andWhere('c.created_at < :before', { before: query.before });
    return (await qb.getMany()).map(toCallView);
  }

  async get(id: string): Promise<CallDetailView> {
    const call = await this.dataSource.getRepository(Call).findOneBy({ id });
    if (!call) throw new AppError(ErrorCode.CALL_NOT_FOUND, 'No such call.');
    const timeline = await this.dataSource.getRepository(CallTimelineEntry).find({ where: { callId: id }, order: { seq: 'ASC' } });
    return { ...toCallView(call), timeline: timeline.map(toTimelineView) };
  }

  /** Parties only; anyone else learns nothing, not even that the call exists. */
  async stateFor(id: string, userId: string): Promise<CallStateView> {
    const call = await this.dataSource.getRepository(Call).findOneBy({ id });
    if (!call || (call.callerId !== userId && call.calleeId !== userId)) throw new AppError(ErrorCode.CALL_NOT_FOUND, 'No such call.');
    return {
      callId: call.id,
      state: call.state,
      endReason: call.endReason,
      ringDeadline: call.ringDeadline.toISOString(),
      answeredDeviceId: call.answeredDeviceId,
      version: call.lastSeq,
    };
  }

  async pushesFor(userId: string, limit = 20): Promise<PushLogEntry[]> {
    const entries = await this.dataSource.getRepository(CallTimelineEntry).find({
      where: { actorUserId: userId, type: TimelineType.PUSH_ATTEMPT },
      order: { at: 'DESC' },
      take: limit,
    });
    return entries.map((e) => {
      const data = (e.data ?? {}) as { kind?: string; outcome?: string; status?: number | null; apnsId?: string | null };
      return {
        at: e.at.toISOString(),
        callId: e.callId,
        deviceId: e.actorDeviceId ?? '',
        kind: data.kind ?? '',
        outcome: data.outcome ?? '',
        status: data.status ?? null,
        apnsId: data.apnsId ?? null,
      };
    });
  }
}
