import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { NotifierMetrics } from '../metrics/notifier-metrics.service.js';
import { PUSH_REPORTS_QUEUE, type PushReportBatchJob, type PushReportJob, pushReportJobOptions } from '#contracts';

interface Batch {
  reports: PushReportJob[];
  sent: Promise<void>;
}

/**
 * Sends each attempt's outcome to the calls app, which owns the timeline and the device tokens.
 * Reports of pushes that finish in the same turn of the event loop leave together as one job: one
 * Redis round trip here and one job for the calls app, where each report was a job of its own. Each
 * caller still waits until its own report is in Redis, so a push job never completes before its
 * report is safe.
 */
@Injectable()
export class PushReporter {
  private readonly logger = new Logger(PushReporter.name);
  private batch: Batch | null = null;

  constructor(
    @InjectQueue(PUSH_REPORTS_QUEUE) private readonly queue: Queue<PushReportBatchJob>,
    private readonly metrics: NotifierMetrics,
  ) {}

  report(report: PushReportJob): Promise<void> {
    // Delivered pushes are on the call timeline; a log line each at info cost more CPU than the push itself.
    this.metrics.attempted(report);
    // The push token is never logged: it addresses a person's phone.
    if (report.outcome === 'delivered')
      this.logger.debug({
        msg: `${report.kind} push delivered`,
        callId: report.callId,
        apnsId: report.apnsId,
        latencyMs: report.latencyMs,
      });
    else
      this.logger.warn({
        msg: `${report.kind} push ${report.outcome}`,
        callId: report.callId,
        userId: report.userId,
        deviceId: report.deviceId,
        attempt: report.attempt,
        status: report.status,
        reason: report.reason,
        latencyMs: report.latencyMs,
        apnsId: report.apnsId,
      });
    this.batch ??= this.open();
    this.batch.reports.push(report);
    return this.batch.sent;
  }

  private open(): Batch {
    const reports: PushReportJob[] = [];
    const sent = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      this.batch = null;
      await this.queue.add({ reports }, pushReportJobOptions);
    });
    return { reports, sent };
  }
}
