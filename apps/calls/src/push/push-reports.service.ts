import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type PushReportJob, TimelineType } from '#contracts';
import { DevicesService } from '../devices/devices.service.js';

/**
 * Appends the report unless its source is already on the timeline or the call is gone, in one
 * statement: bumping calls.last_seq row-locks the call, so seqs stay gapless and ordered, and a
 * report recorded twice at once fails on the unique source_id and is retried into a no-op.
 * (Five round trips in a transaction before; with every push reported, that was the calls app's
 * largest cost per push.)
 */
const APPEND_REPORT = `
  WITH bumped AS (
    UPDATE calls SET last_seq = last_seq + 1
     WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM call_timeline WHERE source_id = $2)
    RETURNING id, last_seq
  )
  INSERT INTO call_timeline (call_id, seq, type, at, actor_user_id, actor_device_id, data, source_id)
  SELECT id, last_seq, $3, $4, $5, $6, $7::jsonb, $2 FROM bumped`;

/** Every APNs attempt lands on the call's timeline; a dead token is invalidated. */
@Injectable()
export class PushReportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly devices: DevicesService,
  ) {}

  async record(report: PushReportJob, sourceId: string): Promise<void> {
    const tokenInvalidated = report.outcome === 'token-invalid' ? await this.devices.invalidateToken(report) : false;
    const data = {
      kind: report.kind,
      attempt: report.attempt,
      outcome: report.outcome,
      apnsId: report.apnsId,
      status: report.status,
      reason: report.reason,
      latencyMs: report.latencyMs,
      ...(report.outcome === 'token-invalid' ? { tokenInvalidated } : {}),
    };
    await this.dataSource.query(APPEND_REPORT, [
      report.callId,
      sourceId,
      TimelineType.PUSH_ATTEMPT,
      new Date(report.at),
      report.userId,
      report.deviceId,
      JSON.stringify(data),
    ]);
  }
}
