import { Process, Processor } from '@nestjs/bull';
import type { Job } from 'bull';
import { GRACE_QUEUE, GraceJob } from '#contracts';
import { parseOrThrow } from '#infra';
import { ConnectionGraceService } from './connection-grace.service.js';

@Processor(GRACE_QUEUE)
export class GraceProcessor {
  constructor(private readonly graces: ConnectionGraceService) {}

  @Process()
  async expire(job: Job<unknown>): Promise<void> {
    await this.graces.expire(parseOrThrow(GraceJob, job.data));
  }
}
