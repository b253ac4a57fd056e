import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimitedError, Timeouts } from '#contracts';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { GATEWAY_REDIS } from '../health/gateway-redis.provider.js';

// Taken: -1. Held by another resume: how long until its claim lapses.
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -1 end
return redis.call('PTTL', KEYS[1])`;
// Renew or let go of a claim only while it is still this resume's (a lapsed one may be another's now).
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type LockRedis = Redis & {
  resumeLockAcquire(key: string, holder: string, ttl: number): Promise<number>;
  resumeLockRenew(key: string, holder: string, ttl: number): Promise<number>;
  resumeLockRelease(key: string, holder: string): Promise<number>;
};

/** A resume's claim on its device: release it when the resume is done. */
export interface ResumeLock {
  key: string;
  holder: string;
}

/**
 * One resume per device in flight, across gateway nodes (a device may hold sockets on several): a
 * replay costs the node a page of memory and the client a burst of messages, and 15 concurrent
 * replays of one stream stalled a node in issue 12. A second resume is refused RATE_LIMITED before it
 * changes anything. One single-key script per step, so any Redis Cluster slot serves it.
 */
@Injectable()
export class ResumeLocks {
  private readonly redis: LockRedis;

  constructor(
    @Inject(GATEWAY_REDIS) redis: Redis,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    redis.defineCommand('resumeLockAcquire', { numberOfKeys: 1, lua: ACQUIRE });
    redis.defineCommand('resumeLockRenew', { numberOfKeys: 1, lua: RENEW });
    redis.defineCommand('resumeLockRelease', { numberOfKeys: 1, lua: RELEASE });
    this.redis = redis as LockRedis;
  }

  async acquire(userId: string, deviceId: string): Promise<ResumeLock> {
    const lock = { key: `${this.config.REDIS_PREFIX}resume:{${userId}:${deviceId}}`, holder: randomUUID() };
    const left = await this.redis.resumeLockAcquire(lock.key, lock.holder, Timeouts.RESUME_LOCK_MS);
    if (left === -1) return lock;
    throw new RateLimitedError('concurrent resumes of this device', Math.min(Math.max(left, 1), Timeouts.RESUME_BUSY_RETRY_MS));
  }

  async renew(lock: ResumeLock): Promise<void> {
    await this.redis.resumeLockRenew(lock.key, lock.holder, Timeouts.RESUME_LOCK_MS);
  }

  async release(lock: ResumeLock): Promise<void> {
    await this.redis.resumeLockRelease(lock.key, lock.holder);
  }
}
