import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import {
  AppError,
  type CallMilestoneJob,
  CallRole,
  ErrorCode,
  QualitySample,
  type QualitySamplePage,
  type QualitySampleView,
} from '#contracts';

/**
 * Quality samples, one every few seconds from each party of every call, are most of what the
 * history stores. They live in a table of their own, a fixed-width row each: numbers as `real`,
 * the party and the candidate type as small integers, no ids or JSON: 3.6× fewer bytes than a
 * timeline entry with its indexes (docs/admin-api.md, "Storage").
 */
const CANDIDATE_TYPES = QualitySample.shape.candidateType.unwrap().options;
const PARTIES = CallRole.options;

/** The measurements, in column order; `frames_decoded` is the only integer. */
const MEASURES = [
  ['rttMs', 'rtt_ms'],
  ['jitterMs', 'jitter_ms'],
  ['packetLossPct', 'packet_loss_pct'],
  ['inboundKbps', 'inbound_kbps'],
  ['outboundKbps', 'outbound_kbps'],
  ['framesPerSecond', 'frames_per_second'],
  ['framesDecoded', 'frames_decoded'],
] as const satisfies readonly (readonly [keyof QualitySample, string])[];

const COLUMNS = MEASURES.map(([, column]) => column);

/**
 * Stores a sample from one of the two devices carrying the call, in one statement; anyone else's is
 * dropped. Samples may follow the call's end (the last one races the hangup). A redelivered job
 * writes nothing twice: the key is the call, the gateway's receipt time and the party.
 */
export async function appendQualitySample(db: DataSource, job: CallMilestoneJob): Promise<boolean> {
  const sample = (job.data ?? {}) as Partial<QualitySample>;
  const measures = MEASURES.map(([field]) => sample[field] ?? null);
  const candidate = sample.candidateType ? CANDIDATE_TYPES.indexOf(sample.candidateType) : null;
  const first = 7; // $1..$6 below
  const rows: unknown[] = await db.query(
    `INSERT INTO call_quality_samples (call_id, at, sampled_at, party, candidate_type, ${COLUMNS.join(', ')})
     SELECT id, $4, $5, CASE WHEN caller_id = $2 THEN 0 ELSE 1 END, $6, ${COLUMNS.map((_, i) => `$${first + i}`).join(', ')}
     FROM calls WHERE id = $1 AND ((caller_id = $2 AND caller_device_id = $3) OR (callee_id = $2 AND answered_device_id = $3))
     ON CONFLICT DO NOTHING RETURNING 1`,
    [job.callId, job.actorUserId, job.actorDeviceId, job.at, sample.at ?? job.at, candidate, ...measures],
  );
  return rows.length > 0;
}

/** Per party: sample count, [p50, p95] of RTT, loss and frame rate, and the most reported candidate type. */
export const PARTY_QUALITY_SQL = (callId: string) => `
  SELECT (ARRAY['${PARTIES.join("','")}'])[party + 1] AS party, count(*)::int AS samples,
         percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY rtt_ms) AS rtt,
         percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY packet_loss_pct) AS loss,
         percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY frames_per_second) AS fps,
         (ARRAY['${CANDIDATE_TYPES.join("','")}'])[mode() WITHIN GROUP (ORDER BY candidate_type) + 1] AS "candidateType"
  FROM call_quality_samples WHERE call_id = ${callId} GROUP BY party`;

/** A position in one call's samples: the last row's receipt time (a JS Date's milliseconds, as written) and party. */
const CURSOR = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\|([01])$/;
const encodeCursor = (at: Date, party: number) => Buffer.from(`${at.toISOString()}|${party}`).toString('base64url');
function decodeCursor(value: string): { at: string; party: number } | null {
  const match = CURSOR.exec(Buffer.from(value, 'base64url').toString());
  return match ? { at: match[1]!, party: Number(match[2]) } : null;
}

export const QualitySamplesQuery = z.strictObject({
  cursor: z
    .string()
    .max(200)
    .transform((value, ctx) => decodeCursor(value) ?? (ctx.addIssue({ code: 'custom', message: 'is not a cursor from this API' }), z.NEVER))
    .optional()
    .describe("The previous page's nextCursor."),
  limit: z.coerce.number().int().min(1).max(1000).default(500).describe('Samples per page.'),
});
export type QualitySamplesQuery = z.infer<typeof QualitySamplesQuery>;

interface SampleRow {
  party: number;
  at: Date;
  sampled_at: Date;
  candidate_type: number | null;
  [column: string]: unknown;
}

@Injectable()
export class QualitySamplesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Oldest first, both parties interleaved; CALL_NOT_FOUND for a call that does not exist (or was deleted). */
  async page(callId: string, { cursor, limit }: QualitySamplesQuery): Promise<QualitySamplePage> {
    const rows: SampleRow[] = await this.dataSource.query(
      `SELECT party, at, sampled_at, candidate_type, ${COLUMNS.join(', ')} FROM call_quality_samples
       WHERE call_id = $1 ${cursor ? 'AND (at, party) > ($3, $4)' : ''} ORDER BY at, party LIMIT $2`,
      cursor ? [callId, limit + 1, cursor.at, cursor.party] : [callId, limit + 1],
    );
    if (rows.length === 0 && !cursor) await this.mustExist(callId);
    const last = rows.length > limit ? rows[limit - 1]! : null;
    return { items: rows.slice(0, limit).map(toView), nextCursor: last && encodeCursor(last.at, last.party) };
  }

  private async mustExist(callId: string): Promise<void> {
    const [row]: unknown[] = await this.dataSource.query(`SELECT 1 FROM calls WHERE id = $1`, [callId]);
    if (!row) throw new AppError(ErrorCode.CALL_NOT_FOUND, 'No such call.');
  }
}

function toView(row: SampleRow): QualitySampleView {
  const view: Record<string, unknown> = { party: PARTIES[row.party], receivedAt: row.at.toISOString(), at: row.sampled_at.toISOString() };
  for (const [field, column] of MEASURES) if (row[column] !== null) view[field] = row[column];
  if (row.candidate_type !== null) view.candidateType = CANDIDATE_TYPES[row.candidate_type];
  return view as QualitySampleView;
}
