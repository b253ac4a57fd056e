import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Queue } from 'bull';
import { DataSource, In } from 'typeorm';
import { RING_TIMEOUT_QUEUE, type RingTimeoutJob, ringTimeoutJobOptions } from '#contracts';
import { Call } from './call.entity.js';

/**
 * Ring deadlines as delayed Bull jobs (Redis), so they fire whichever calls instance is alive and
 * after a restart. A deadline whose job was lost (crash between commit and enqueue, Redis flushed)
 * is re-armed at boot from Postgres, which stays the source of truth.
 */
@Injectable()
export class RingTimerService implements OnApplicationBootstrap {
  private readonly logger = new Logger(RingTimerService.name);

  constructor(
    @InjectQueue(RING_TIMEOUT_QUEUE) private readonly queue: Queue<RingTimeoutJob>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  async arm(callId: string, deadline: Date): Promise<void> {
    await this.queue.add({ callId }, ringTimeoutJobOptions(callId, deadline.getTime() - Date.now()));
  }

  async onApplicationBootstrap(): Promise<void> {
    const open = await this.dataSource
      .getRepository(Call)
      .find({ where: { state: In(['initiated', 'ringing']) }, select: { id: true, ringDeadline: true } });
    await Promise.all(open.map((call) => this.arm(call.id, call.ringDeadline)));
    if (open.length) this.logger.log(`re-armed ${open.length} ring deadline(s)`);
  }
}
