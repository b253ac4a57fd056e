import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { CALL_MILESTONES_QUEUE, CallMilestoneJob } from '#contracts';
import { parseOrThrow } from '#infra';
import { CallsService } from './calls.service.js';

@Processor(CALL_MILESTONES_QUEUE)
export class CallMilestonesProcessor {
  constructor(private readonly calls: CallsService) {}

  @Process()
  async record(job: Job<unknown>): Promise<void> {
    await this.calls.recordMilestone(parseOrThrow(CallMilestoneJob, job.data), `milestone:${job.id}`);
  }
}
