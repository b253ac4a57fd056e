import { OnQueueStalled, Process, Processor } from '@nestjs/bull';
import { Logger } from '@nestjs/common';
import type { Job } from 'bull';
import { PUSH_CONCURRENCY, PUSH_QUEUE, PushJob } from '#contracts';
import { parseOrThrow, withLogContext } from '#infra';
import { PushService } from './push.service.js';

class RetryPush extends Error {
  override name = 'RetryPush';
}

/** Thin: validates the job, runs one attempt, and tells Bull to retry or to stop. */
@Processor(PUSH_QUEUE)
export class PushProcessor {
  private readonly logger = new Logger(PushProcessor.name);

  constructor(private readonly pushes: PushService) {}

  @Process({ concurrency: PUSH_CONCURRENCY })
  async send(job: Job<unknown>): Promise<void> {
    const push = parseOrThrow(PushJob, job.data);
    const { requestId, callId, userId, deviceId } = push;
    const next = await withLogContext({ requestId, callId, userId, deviceId }, () => this.pushes.attempt(push, job.attemptsMade + 1));
    if (next === 'retry') throw new RetryPush('transient APNs failure; retrying with backoff');
    if (next === 'give-up') {
      // Not delivered and never will be (expired, dead token, rejected): fail without retries.
      job.discard();
      throw new Error('push abandoned; see its report on the call timeline');
    }
  }

  @OnQueueStalled()
  stalled(job: Job): void {
    this.logger.warn({ msg: 'push job stalled (a notifier died mid-send); it will be retried', jobId: job.id });
  }
}
