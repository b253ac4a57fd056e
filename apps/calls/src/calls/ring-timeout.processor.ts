import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { RING_TIMEOUT_QUEUE, RingTimeoutJob } from '#contracts';
import { parseOrThrow } from '#infra';
import { CallsService } from './calls.service.js';

@Processor(RING_TIMEOUT_QUEUE)
export class RingTimeoutProcessor {
  constructor(private readonly calls: CallsService) {}

  @Process()
  async expire(job: Job<unknown>): Promise<void> {
    const { callId } = parseOrThrow(RingTimeoutJob, job.data);
    await this.calls.expire(callId);
  }
}
