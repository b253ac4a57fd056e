import { InjectQueue } from '@nestjs/bull';
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bull';
import { PUSH_QUEUE } from '#contracts';
import { RedisHealthIndicator } from '#infra';
import { DeliveryMarks } from '../apns-push/delivery-marks.service.js';

/** Readiness: Redis answers, and the push queue with its backlog (waiting, delayed, failed) for operators. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @InjectQueue(PUSH_QUEUE) private readonly queue: Queue,
    private readonly redisHealth: RedisHealthIndicator,
    private readonly marks: DeliveryMarks,
  ) {}

  @Get(['', 'ready'])
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.redisHealth.ping('redis', this.marks.connection),
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
