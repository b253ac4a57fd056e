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
    await this.reports.record(parseOrThrow(PushReportJob, job.data), `push-report:${job.id}`);
  }
}
