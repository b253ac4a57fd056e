import type { CallTimelineEntry } from './call-timeline-entry.entity.js';
import type { Call } from './call.entity.js';
import type { AdminCallView, CallView, TimelineEntryView } from '#contracts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toCallView(call: Call): CallView {
  return {
    id: call.id,
    state: call.state,
    endReason: call.endReason,
    media: call.media,
    callerId: call.callerId,
    callerDeviceId: call.callerDeviceId,
    callerName: call.callerName,
    calleeId: call.calleeId,
    answeredDeviceId: call.answeredDeviceId,
    createdAt: call.createdAt.toISOString(),
    ringingAt: iso(call.ringingAt),
    answeredAt: iso(call.answeredAt),
    endedAt: iso(call.endedAt),
    ringDeadline: call.ringDeadline.toISOString(),
    durationMs: call.durationMs,
    callerDisconnectedAt: iso(call.callerDisconnectedAt),
    calleeDisconnectedAt: iso(call.calleeDisconnectedAt),
    qualitySummary: (call.qualitySummary ?? null) as Record<string, unknown> | null,
    version: call.lastSeq,
  };
}

/** What a timeline view is made of: an entry as stored, or as the history query reads it. */
export type TimelineRow = Pick<CallTimelineEntry, 'seq' | 'type' | 'at' | 'actorUserId' | 'actorDeviceId' | 'data'>;

export function toTimelineView(entry: TimelineRow): TimelineEntryView {
  return {
    seq: entry.seq,
    type: entry.type,
    at: entry.at.toISOString(),
    actorUserId: entry.actorUserId,
    actorDeviceId: entry.actorDeviceId,
    data: entry.data as Record<string, unknown> | null,
  };
}

export function toAdminCallView(call: Call): AdminCallView {
  return { ...toCallView(call), reconnects: call.reconnects, relayed: call.relayed };
}
