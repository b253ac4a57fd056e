import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';
import { DAY_MS } from './call-stats.query.js';

/** Batches one run deletes per kind at most; what is left waits for the next run, so a backlog never holds the job for long. */
const MAX_BATCHES_PER_RUN = 100;

/**
 * Bounds the history's growth: quality samples (one every few seconds of every call) after
 * RETENTION_QUALITY_DAYS, ended calls with their timelines and invites (ON DELETE CASCADE) after
 * RETENTION_CALLS_DAYS. Each batch is one statement of RETENTION_BATCH rows, its own transaction,
 * found through an index (calls oldest first by created_at; samples by a BRIN range on `at`, in no
 * particular order, since all of them past the cutoff go); SKIP LOCKED lets several
 * instances run it at once without waiting on each other or on a transition.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionService.name);
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(CALLS_CONFIG) private readonly config: CallsConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(), this.config.RETENTION_INTERVAL_MS).unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One run; returns how many quality samples and calls it deleted. */
  async run(now = new Date()): Promise<{ qualitySamples: number; calls: number }> {
    if (this.running) return { qualitySamples: 0, calls: 0 };
    this.running = true;
    try {
      const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
      const qualitySamples = await this.inBatches(
        `DELETE FROM call_quality_samples WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM call_quality_samples WHERE at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED))`,
        before(this.config.RETENTION_QUALITY_DAYS),
      );
      const calls = await this.inBatches(
        `DELETE FROM calls WHERE id IN (
           SELECT id FROM calls WHERE created_at < $1 AND state = 'ended' ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
        before(this.config.RETENTION_CALLS_DAYS),
      );
      if (qualitySamples || calls) this.logger.log(`retention deleted ${qualitySamples} quality samples and ${calls} calls`);
      return { qualitySamples, calls };
    } catch (error) {
      this.logger.error(`retention failed: ${(error as Error).message}`);
      return { qualitySamples: 0, calls: 0 };
    } finally {
      this.running = false;
    }
  }

  private async inBatches(sql: string, cutoff: Date): Promise<number> {
    let deleted = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
      const [, count]: [unknown, number] = await this.dataSource.query(sql, [cutoff, this.config.RETENTION_BATCH]);
      deleted += count;
      if (count < this.config.RETENTION_BATCH) break;
    }
    return deleted;
  }
}
