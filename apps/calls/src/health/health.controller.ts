import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { RedisHealthIndicator, type RedisClient } from '#infra';
import { REDIS } from '../calls/redis.provider.js';

/** Readiness: 200 when Postgres and Redis answer, 503 with the failing one named otherwise. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly redisHealth: RedisHealthIndicator,
    @Inject(REDIS) private readonly redis: RedisClient,
  ) {}

  @Get(['', 'ready'])
  @HealthCheck()
  ready() {
    return this.health.check([() => this.db.pingCheck('postgres', { timeout: 2000 }), () => this.redisHealth.ping('redis', this.redis)]);
  }
}
