import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { PUSH_REPORTS_QUEUE, type PushReportJob, pushReportJobOptions } from '#contracts';

/** Sends each attempt's outcome to the calls app, which owns the timeline and the device tokens. */
@Injectable()
export class PushReporter {
  private readonly logger = new Logger(PushReporter.name);

  constructor(@InjectQueue(PUSH_REPORTS_QUEUE) private readonly queue: Queue<PushReportJob>) {}

  async report(report: PushReportJob): Promise<void> {
    const line = `${report.kind} push ${report.outcome} (call ${report.callId}, device ${report.deviceId}, attempt ${report.attempt}, ${report.status ?? '-'} ${report.reason ?? ''}, ${report.latencyMs ?? '-'} ms)`;
    if (report.outcome === 'delivered') this.logger.log(line);
    else this.logger.warn(line);
    await this.queue.add(report, pushReportJobOptions);
  }
}
