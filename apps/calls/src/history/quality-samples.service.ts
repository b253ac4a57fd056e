import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppError, ErrorCode, type QualitySamplePage, type QualitySampleView } from '#contracts';
import { CANDIDATE_TYPE_CODES, MEASURE_COLUMNS, MEASURES, PARTY_CODES } from './quality-sample-codes.js';
import { type QualitySamplesQuery, encodeSampleCursor } from './quality-samples.query.js';

interface SampleRow {
  party: number;
  at: Date;
  sampled_at: Date;
  candidate_type: number | null;
  [column: string]: unknown;
}

/** The admin's view of one call's quality samples, as the parties sent them. */
@Injectable()
export class QualitySamplesService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Oldest first, both parties interleaved; CALL_NOT_FOUND for a call that does not exist (or was deleted). */
  async page(callId: string, { cursor, limit }: QualitySamplesQuery): Promise<QualitySamplePage> {
    const rows: SampleRow[] = await this.dataSource.query(
      `SELECT party, at, sampled_at, candidate_type, ${MEASURE_COLUMNS.join(', ')} FROM call_quality_samples
       WHERE call_id = $1 ${cursor ? 'AND (at, party) > ($3, $4)' : ''} ORDER BY at, party LIMIT $2`,
      cursor ? [callId, limit + 1, cursor.at, cursor.party] : [callId, limit + 1],
    );
    if (rows.length === 0) await this.mustExist(callId);
    const last = rows.length > limit ? rows[limit - 1]! : null;
    return { items: rows.slice(0, limit).map(toView), nextCursor: last && encodeSampleCursor(last.at, last.party) };
  }

  private async mustExist(callId: string): Promise<void> {
    const [row]: unknown[] = await this.dataSource.query(`SELECT 1 FROM calls WHERE id = $1`, [callId]);
    if (!row) throw new AppError(ErrorCode.CALL_NOT_FOUND, 'No such call.');
  }
}

function toView(row: SampleRow): QualitySampleView {
  const view: Record<string, unknown> = {
    party: PARTY_CODES[row.party],
    receivedAt: row.at.toISOString(),
    at: row.sampled_at.toISOString(),
  };
  for (const [field, column] of MEASURES) if (row[column] !== null) view[field] = row[column];
  if (row.candidate_type !== null) view.candidateType = CANDIDATE_TYPE_CODES[row.candidate_type];
  return view as QualitySampleView;
}
