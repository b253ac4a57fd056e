import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import type { Redis } from 'ioredis';
import { RedisHealthIndicator } from '#infra';
import { GATEWAY_REDIS } from './gateway-redis.provider.js';
import { CallsHealthIndicator } from './calls-health.indicator.js';

/** Readiness: Redis (rooms, call events) and the calls app (every transition) must answer. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redisHealth: RedisHealthIndicator,
    private readonly callsHealth: CallsHealthIndicator,
    @Inject(GATEWAY_REDIS) private readonly redis: Redis,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.redisHealth.ping('redis', this.redis), () => this.callsHealth.check('calls')]);
  }
}
