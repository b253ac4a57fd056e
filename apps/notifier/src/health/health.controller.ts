import { InjectQueue } from '@nestjs/bull';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bull';
import { PUSH_QUEUE } from '#contracts';

/** Readiness: Redis answers through the push queue, with the queue's backlog for operators. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @InjectQueue(PUSH_QUEUE) private readonly queue: Queue,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      async () => {
        const indicator = this.indicators.check(PUSH_QUEUE);
        try {
          const counts = await this.queue.getJobCounts();
          return indicator.up({ ...counts });
        } catch (error) {
          return indicator.down({ message: error instanceof Error ? error.message : String(error) });
        }
      },
    ]);
  }
}
