import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { type RateLimit, RateLimitedError } from '#contracts';
import type { RedisClient } from './redis.js';

/** Counted in this process only: for what one socket does, which one node sees whole. */
export const memoryLimiter = (limit: RateLimit): RateLimiterMemory =>
  new RateLimiterMemory({ points: limit.points, duration: limit.seconds });

/**
 * Counted in Redis, so the limit holds over every node. Each check is one single-key script, so on a
 * Redis Cluster any slot serves it and no hash tag is needed. When Redis is down the same budget is
 * counted in memory instead (insuranceLimiter): per node for a while, rather than refusing everyone.
 */
export const redisLimiter = (redis: RedisClient, prefix: string, name: string, limit: RateLimit): RateLimiterRedis =>
  new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${prefix}limit:${name}`,
    points: limit.points,
    duration: limit.seconds,
    rejectIfRedisNotReady: true,
    insuranceLimiter: memoryLimiter(limit),
  });

/** Takes one point for `key`, or throws RATE_LIMITED saying how long to wait. */
export async function consumeOrRefuse(limiter: RateLimiterAbstract, key: string, what: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (refusal) {
    if (refusal instanceof RateLimiterRes) throw new RateLimitedError(what, refusal.msBeforeNext);
    throw refusal;
  }
}
