import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { z } from 'zod';
import { CALL_MILESTONES_QUEUE, CallMilestoneJob, CallMilestonesJob } from '#contracts';
import { parseOrThrow, recordEach } from '#infra';
import { CallsService } from './calls.service.js';

/** A batch from a gateway, or a lone milestone queued by a gateway from before batching. */
const MilestonesPayload = z.union([CallMilestonesJob, CallMilestoneJob]);

@Processor(CALL_MILESTONES_QUEUE)
export class CallMilestonesProcessor {
  constructor(private readonly calls: CallsService) {}

  @Process()
  async record(job: Job<unknown>): Promise<void> {
    const payload = parseOrThrow(MilestonesPayload, job.data);
    if (!('milestones' in payload)) {
      await this.calls.recordMilestone(payload, `milestone:${job.id}`);
      return;
    }
    // In order, each under its own source id: a retried job skips the ones already written.
    await recordEach(payload.milestones, (milestone, i) => this.calls.recordMilestone(milestone, `milestone:${job.id}:${i}`));
  }
}
