import type { DataSource, EntityManager } from 'typeorm';
import { prepared } from '../database/prepared-statements.js';
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
 * Bumping calls.last_seq row-locks the call, so seqs are gapless and ordered per call. `$1` is the
 * call id, the entry's values follow from `$2`; `set` adds column assignments to the same UPDATE.
 * One statement: every round trip to Postgres is a socket write on both ends, and these run on
 * every transition.
 */
const appendSql = (set: string, from: number, where = '') =>
  prepared(`
  WITH bumped AS (UPDATE calls SET ${set}last_seq = last_seq + 1 WHERE id = $1${where} RETURNING last_seq)
  INSERT INTO call_timeline (call_id, seq, type, at, actor_user_id, actor_device_id, data, source_id)
  SELECT $1, last_seq, $${from}, $${from + 1}::timestamptz, $${from + 2}, $${from + 3}, $${from + 4}::jsonb, $${from + 5} FROM bumped
  RETURNING seq`);

const APPEND = appendSql('', 2);

const entryParams = (input: TimelineInput) => [
  input.type,
  input.at,
  input.actorUserId ?? null,
  input.actorDeviceId ?? null,
  input.data ? JSON.stringify(input.data) : null,
  input.sourceId ?? null,
];

async function run(em: EntityManager, sql: string, params: unknown[]): Promise<number> {
  const rows: { seq: number }[] = await em.query(sql, params);
  if (!rows[0]) throw new Error(`no call ${String(params[0])} to append a timeline entry to`);
  return rows[0].seq;
}

/** Appends to a call's timeline inside the caller's transaction. */
export function appendTimeline(em: EntityManager, callId: string, input: TimelineInput): Promise<number> {
  return run(em, APPEND, [callId, ...entryParams(input)]);
}

/** Appends to the timeline of a call loaded in this transaction, keeping its version in step. */
export async function recordOn(em: EntityManager, call: Call, input: TimelineInput): Promise<number> {
  call.lastSeq = await appendTimeline(em, call.id, input);
  return call.lastSeq;
}

/** A transition's state columns, as the locked `call` now holds them, written with its timeline entry. */
const TRANSITION_SET = `state = $2, end_reason = $3, ringing_at = $4, answered_at = $5, answered_device_id = $6,
  ended_at = $7, duration_ms = $8, callee_carrier = $9, connect_deadline = $10, `;

const TRANSITION = appendSql(TRANSITION_SET, 11);

export async function recordTransition(em: EntityManager, call: Call, input: TimelineInput): Promise<number> {
  const { state, endReason, ringingAt, answeredAt, answeredDeviceId, endedAt, durationMs, calleeCarrier, connectDeadline } = call;
  const columns = [state, endReason, ringingAt, answeredAt, answeredDeviceId, endedAt, durationMs, calleeCarrier, connectDeadline];
  call.lastSeq = await run(em, TRANSITION, [call.id, ...columns, ...entryParams(input)]);
  return call.lastSeq;
}

/** Only the two carrying devices, once per source id; `$7` is the source id, `$8` and `$9` the reporter. */
const CARRIER = ` AND ((caller_id = $8 AND caller_device_id = $9) OR (callee_id = $8 AND answered_device_id = $9))
    AND NOT EXISTS (SELECT 1 FROM call_timeline WHERE source_id = $7)`;
const CARRIER_REPORT_AFTER_END = appendSql('', 2, CARRIER);
const CARRIER_REPORT = appendSql('', 2, `${CARRIER} AND state <> 'ended'`);

/**
 * A report from one of the two devices carrying the call (a signaling milestone, a quality summary),
 * written once per `sourceId`, in one statement of its own. Returns false for a report from any other
 * device, for an unknown call, for a source already written, and, unless `afterEnd`, for a call that
 * has ended. Two deliveries of one source racing each other: the unique source_id fails the later
 * statement whole, seq bump included, and its retry finds the entry.
 */
export async function appendCarrierReport(
  db: DataSource,
  callId: string,
  input: TimelineInput & { sourceId: string },
  afterEnd: boolean,
): Promise<boolean> {
  const rows: unknown[] = await db.query(afterEnd ? CARRIER_REPORT_AFTER_END : CARRIER_REPORT, [
    callId,
    ...entryParams(input),
    input.actorUserId,
    input.actorDeviceId,
  ]);
  return rows.length > 0;
}
