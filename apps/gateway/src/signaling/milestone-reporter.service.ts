import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import {
  CALL_MILESTONES_QUEUE,
  type CallMilestoneJob,
  type SignalingMilestone,
  type SocketSession,
  callMilestoneJobOptions,
} from '#contracts';

/**
 * Puts signaling milestones on the call's timeline without slowing the relay: one Redis write that
 * is not awaited by the relay's ack; the calls app writes it to Postgres from the queue.
 */
@Injectable()
export class MilestoneReporter {
  private readonly logger = new Logger(MilestoneReporter.name);

  constructor(@InjectQueue(CALL_MILESTONES_QUEUE) private readonly queue: Queue<CallMilestoneJob>) {}

  report(session: SocketSession, callId: string, type: SignalingMilestone, data: Record<string, unknown> | null = null): void {
    const job: CallMilestoneJob = {
      callId,
      type,
      actorUserId: session.userId,
      actorDeviceId: session.deviceId,
      at: new Date().toISOString(),
      data,
    };
    this.queue
      .add(job, { ...callMilestoneJobOptions, jobId: randomUUID() })
      .catch((error: unknown) => this.logger.warn(`milestone ${type} for ${callId} not queued: ${String(error)}`));
  }
}
