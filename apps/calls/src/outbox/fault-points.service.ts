import { Inject, Injectable, Logger } from '@nestjs/common';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';

/**
 * Test-only: makes "killed between commit and publish" deterministic. While the file named by
 * FAULT_AFTER_COMMIT_FILE exists and names an event type (e.g. `accepted`), the next commit that
 * announces that type removes the file and kills this process before anything is published.
 * The config refuses the variable outside NODE_ENV=test.
 */
@Injectable()
export class FaultPoints {
  private readonly logger = new Logger(FaultPoints.name);
  private readonly file: string | undefined;

  constructor(@Inject(CALLS_CONFIG) config: CallsConfig) {
    this.file = config.FAULT_AFTER_COMMIT_FILE;
  }

  afterCommit(eventTypes: string[]): void {
    if (!this.file || eventTypes.length === 0 || !existsSync(this.file)) return;
    const target = readFileSync(this.file, 'utf8').trim();
    if (!eventTypes.includes(target)) return;
    unlinkSync(this.file);
    this.logger.warn(`fault point: killed after committing ${target}, before publishing it`);
    process.kill(process.pid, 'SIGKILL');
  }
}
