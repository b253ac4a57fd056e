import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type PushReportJob, TimelineType } from '#contracts';
import { CallTimelineEntry } from '../calls/call-timeline-entry.entity.js';
import { Call } from '../calls/call.entity.js';
import { appendTimeline } from '../calls/timeline.writer.js';
import { DevicesService } from '../devices/devices.service.js';

/** Every APNs attempt lands on the call's timeline; a dead token is invalidated. */
@Injectable()
export class PushReportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly devices: DevicesService,
  ) {}

  async record(report: PushReportJob, sourceId: string): Promise<void> {
    const tokenInvalidated = report.outcome === 'token-invalid' ? await this.devices.invalidateToken(report) : false;
    await this.dataSource.transaction(async (em) => {
      if (await em.existsBy(CallTimelineEntry, { sourceId })) return;
      if (!(await em.existsBy(Call, { id: report.callId }))) return;
      await appendTimeline(em, report.callId, {
        type: TimelineType.PUSH_ATTEMPT,
        at: new Date(report.at),
        actorUserId: report.userId,
        actorDeviceId: report.deviceId,
        data: {
          kind: report.kind,
          attempt: report.attempt,
          outcome: report.outcome,
          apnsId: report.apnsId,
          status: report.status,
          reason: report.reason,
          latencyMs: report.latencyMs,
          ...(report.outcome === 'token-invalid' ? { tokenInvalidated } : {}),
        },
        sourceId,
      });
    });
  }
}
