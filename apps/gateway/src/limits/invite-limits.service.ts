import { Inject, Injectable } from '@nestjs/common';
import type { RateLimiterRedis } from 'rate-limiter-flexible';
import { RateLimitedError } from '#contracts';
import { type RedisClient, consumeOrRefuse, redisLimiter } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { GATEWAY_REDIS } from '../health/gateway-redis.provider.js';
import { GatewayMetrics, type RateLimitName } from '../metrics/gateway-metrics.service.js';

/**
 * Invites per caller and per caller–callee pair, counted in Redis so that spreading sockets over
 * gateway nodes gains nothing. Checked before the calls app is asked, so a refused invite creates
 * no call, rings nothing and costs no database work.
 */
@Injectable()
export class InviteLimits {
  private readonly perCaller: RateLimiterRedis;
  private readonly perPair: RateLimiterRedis;

  constructor(
    @Inject(GATEWAY_REDIS) redis: RedisClient,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly metrics: GatewayMetrics,
  ) {
    this.perCaller = redisLimiter(redis, config.REDIS_PREFIX, 'invite-caller', config.RATE_LIMIT_INVITE_CALLER);
    this.perPair = redisLimiter(redis, config.REDIS_PREFIX, 'invite-pair', config.RATE_LIMIT_INVITE_PAIR);
  }

  async check(callerId: string, calleeId: string): Promise<void> {
    await this.counted('invite-pair', consumeOrRefuse(this.perPair, `${callerId}>${calleeId}`, `invites to this user`));
    await this.counted('invite-caller', consumeOrRefuse(this.perCaller, callerId, 'invites'));
  }

  private counted(limit: RateLimitName, check: Promise<void>): Promise<void> {
    return check.catch((error: unknown) => {
      if (error instanceof RateLimitedError) this.metrics.rateLimited(limit);
      throw error;
    });
  }
}
