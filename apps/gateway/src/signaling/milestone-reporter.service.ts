import { InjectQueue } from '@nestjs/bull';
import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import {
  CALL_MILESTONES_QUEUE,
  type CallMilestoneJob,
  type CallMilestonesJob,
  MAX_MILESTONES_PER_JOB,
  type SignalingMilestone,
  type SocketSession,
  Timeouts,
  callMilestoneJobOptions,
} from '#contracts';

/**
 * Puts signaling milestones on the call's timeline without slowing the relay: nothing the relay's ack
 * waits for. Milestones are gathered for MILESTONE_BATCH_MS and queued as one job; the calls app
 * writes them to Postgres from the queue, in the order they were seen.
 */
@Injectable()
export class MilestoneReporter implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MilestoneReporter.name);
  private pending: CallMilestoneJob[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(@InjectQueue(CALL_MILESTONES_QUEUE) private readonly queue: Queue<CallMilestonesJob>) {}

  report(session: SocketSession, callId: string, type: SignalingMilestone, data: Record<string, unknown> | null = null): void {
    this.pending.push({ callId, type, actorUserId: session.userId, actorDeviceId: session.deviceId, at: new Date().toISOString(), data });
    if (this.pending.length >= MAX_MILESTONES_PER_JOB) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), Timeouts.MILESTONE_BATCH_MS);
  }

  /** A stopping gateway queues what it still holds, before Bull's queues close in the shutdown phase. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const milestones = this.pending;
    this.pending = [];
    if (milestones.length === 0) return;
    await this.queue.add({ milestones }, { ...callMilestoneJobOptions, jobId: randomUUID() }).then(
      () => undefined,
      (error: unknown) => this.logger.warn(`${milestones.length} milestone(s) not queued: ${String(error)}`),
    );
  }
}
