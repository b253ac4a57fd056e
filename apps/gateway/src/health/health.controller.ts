import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { RedisHealthIndicator, type RedisClient } from '#infra';
import { GATEWAY_REDIS } from './gateway-redis.provider.js';
import { CallsHealthIndicator } from './calls-health.indicator.js';

/**
 * Readiness is Redis alone: relays, resumes and rooms need nothing else, so a calls-app outage must
 * not take every gateway out of its balancer; lifecycle requests then answer CALLS_UNAVAILABLE.
 * The calls app's reachability is its own check, for dashboards and alerts.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly redisHealth: RedisHealthIndicator,
    private readonly callsHealth: CallsHealthIndicator,
    @Inject(GATEWAY_REDIS) private readonly redis: RedisClient,
  ) {}

  @Get(['', 'ready'])
  @HealthCheck()
  ready() {
    return this.health.check([() => this.redisHealth.ping('redis', this.redis)]);
  }

  @Get('calls')
  @HealthCheck()
  calls() {
    return this.health.check([() => this.callsHealth.check('calls')]);
  }
}
