import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Call } from '../calls/call.entity.js';
import { CallsService } from '../calls/calls.service.js';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { overdue } from './call-deadlines.js';

const BATCH = 200;

/**
 * Keeps every call deadline from Postgres: ring, reconnection and media graces, connect. Each
 * instance looks every DEADLINE_CHECK_MS for open calls past one and ends them, re-checking under
 * the row lock, so several instances never end a call twice and no lost job, Redis restart or
 * crash leaves a call open. The look is one indexed query over open calls.
 */
@Injectable()
export class DeadlineCheck implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeadlineCheck.name);
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CALLS_CONFIG) private readonly config: CallsConfig,
    private readonly calls: CallsService,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.check(), this.config.DEADLINE_CHECK_MS).unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Ends the calls past a deadline now; returns how many it ended. */
  async check(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    try {
      const now = new Date();
      const due = await this.dataSource
        .getRepository(Call)
        .createQueryBuilder('c')
        // Only what overdue() reads: this runs every second on every instance.
        .select([
          'c.id',
          'c.state',
          'c.ringDeadline',
          'c.callerDisconnectedAt',
          'c.calleeDisconnectedAt',
          'c.mediaDownSince',
          'c.connectDeadline',
        ])
        .where("c.state <> 'ended'")
        .andWhere(
          `((c.state <> 'active' AND c.ring_deadline <= :now)
            OR c.caller_disconnected_at <= :reconnect OR c.callee_disconnected_at <= :reconnect
            OR c.media_down_since <= :media OR c.connect_deadline <= :now)`,
          {
            now,
            reconnect: new Date(now.getTime() - this.config.RECONNECT_GRACE_MS),
            media: new Date(now.getTime() - this.config.MEDIA_GRACE_MS),
          },
        )
        .limit(BATCH)
        .getMany();
      let ended = 0;
      for (const call of due) {
        const end = overdue(call, now, this.config);
        if (!end) continue; // e.g. media down past its grace while a party is away
        const done = await this.calls.endIf(call.id, end, (locked) => overdue(locked, new Date(), this.config) === end);
        if (done) ended += 1;
      }
      if (ended > 0) this.logger.log(`ended ${ended} call(s) past a deadline`);
      return ended;
    } catch (error) {
      this.logger.warn(`deadline check failed, next in ${this.config.DEADLINE_CHECK_MS} ms: ${String(error)}`);
      return 0;
    } finally {
      this.running = false;
    }
  }
}
