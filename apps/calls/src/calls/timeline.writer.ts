import type { EntityManager } from 'typeorm';
import { CallTimelineEntry } from './call-timeline-entry.entity.js';
import type { Call } from './call.entity.js';

export interface TimelineInput {
  type: string;
  at: Date;
  actorUserId?: string | null;
  actorDeviceId?: string | null;
  data?: Record<string, unknown> | null;
  sourceId?: string | null;
}

/**
 * Appends to a call's timeline inside the caller's transaction. The seq comes from bumping
 * calls.last_seq, which row-locks the call, so seqs are gapless and ordered per call.
 */
export async function appendTimeline(em: EntityManager, callId: string, input: TimelineInput): Promise<number> {
  // TypeORM answers an UPDATE with [rows, rowCount].
  const [rows]: [{ last_seq: number }[], number] = await em.query(
    'UPDATE calls SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq',
    [callId],
  );
  const seq = rows[0]!.last_seq;
  const entry: Omit<CallTimelineEntry, 'id'> = {
    callId,
    seq,
    type: input.type,
    at: input.at,
    actorUserId: input.actorUserId ?? null,
    actorDeviceId: input.actorDeviceId ?? null,
    data: input.data ?? null,
    sourceId: input.sourceId ?? null,
  };
  await em.getRepository(CallTimelineEntry).insert(entry);
  return seq;
}

/** Appends to the timeline of a call loaded in this transaction, keeping its version in step. */
export async function recordOn(em: EntityManager, call: Call, input: TimelineInput): Promise<number> {
  call.lastSeq = await appendTimeline(em, call.id, input);
  return call.lastSeq;
}
