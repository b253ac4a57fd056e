import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { PUSH_REPORTS_QUEUE, PushReportBatchJob, PushReportJob } from '#contracts';
import { parseOrThrow, recordEach } from '#infra';
import { PushReportsService } from './push-reports.service.js';

/** A single report is what a notifier from before report batching still has queued. */
const QueuedReports = PushReportBatchJob.or(PushReportJob.transform((report) => ({ reports: [report] })));

@Processor(PUSH_REPORTS_QUEUE)
export class PushReportsProcessor {
  constructor(private readonly reports: PushReportsService) {}

  @Process()
  async record(job: Job<unknown>): Promise<void> {
    // In order, each keyed by its attempt (not the Bull job id, which starts again at 1 when Redis
    // loses its data): a batch retried after a partial failure records only what is missing.
    const { reports } = parseOrThrow(QueuedReports, job.data);
    await recordEach(reports, (report) => this.reports.record(report, `push-report:${report.reportId}`));
  }
}
