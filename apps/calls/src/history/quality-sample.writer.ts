import type { DataSource } from 'typeorm';
import { type CallMilestoneJob, QualitySample } from '#contracts';
import { CANDIDATE_TYPE_CODES, MEASURE_COLUMNS, MEASURES } from './quality-sample-codes.js';

/**
 * Quality samples, one every few seconds from each party of every call, are most of what the
 * history stores, so each is a fixed-width row of `call_quality_samples`: numbers as `real`, the
 * party and the candidate type as small integers, no ids or JSON (docs/admin-api.md, "Storage").
 *
 * Stores a sample from one of the two devices carrying the call, in one statement; anyone else's is
 * dropped, and so is one the contract refuses (the job was not written by a gateway). Samples may
 * follow the call's end (the last one races the hangup). The key is the call, the gateway's receipt
 * time to the millisecond (what the page cursor holds) and the party: a redelivered job writes
 * nothing twice.
 */
export async function appendQualitySample(db: DataSource, job: CallMilestoneJob): Promise<boolean> {
  const parsed = QualitySample.safeParse(job.data);
  if (!parsed.success) return false;
  const sample = parsed.data;
  const params = [
    job.callId,
    job.actorUserId,
    job.actorDeviceId,
    job.at,
    sample.at,
    sample.candidateType ? CANDIDATE_TYPE_CODES.indexOf(sample.candidateType) : null,
    ...MEASURES.map(([field]) => sample[field] ?? null),
  ];
  const measures = MEASURE_COLUMNS.map((_, i) => `$${params.length - MEASURE_COLUMNS.length + i + 1}`);
  const rows: unknown[] = await db.query(
    `INSERT INTO call_quality_samples (call_id, at, sampled_at, party, candidate_type, ${MEASURE_COLUMNS.join(', ')})
     SELECT id, date_trunc('milliseconds', $4::timestamptz), $5, CASE WHEN caller_id = $2 THEN 0 ELSE 1 END, $6, ${measures.join(', ')}
     FROM calls WHERE id = $1 AND ((caller_id = $2 AND caller_device_id = $3) OR (callee_id = $2 AND answered_device_id = $3))
     ON CONFLICT DO NOTHING RETURNING 1`,
    params,
  );
  return rows.length > 0;
}
