import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { PUSH_REPORTS_QUEUE, PushReportJob } from '#contracts';
import { parseOrThrow } from '#infra';
import { PushReportsService } from './push-reports.service.js';

@Processor(PUSH_REPORTS_QUEUE)
export class PushReportsProcessor {
  constructor(private readonly reports: PushReportsService) {}

  @Process()
  async record(job: Job<unknown>): Promise<void> {
    // Keyed by the attempt, not the Bull job id: job ids start again at 1 when Redis loses its data.
    const report = parseOrThrow(PushReportJob, job.data);
    await this.reports.record(report, `push-report:${report.reportId}`);
  }
}
