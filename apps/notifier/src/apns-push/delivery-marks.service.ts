import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type RedisClient, createRedis } from '#infra';
import { NOTIFIER_CONFIG, type NotifierConfig } from '../config/notifier.config.js';

/**
 * Bull delivers at least once: a notifier that dies after APNs said 200 but before the job was
 * marked complete would send the push again. A mark written right after the 200 closes most of
 * that window, so a redelivered job finds the push already sent.
 */
@Injectable()
export class DeliveryMarks implements OnApplicationShutdown {
  private readonly redis: RedisClient;
  private readonly prefix: string;

  constructor(@Inject(NOTIFIER_CONFIG) config: NotifierConfig) {
    // Auto-pipelining: the checks and marks of the pushes in flight share one write to Redis.
    this.redis = createRedis(config, 'notifier-marks', { enableAutoPipelining: true });
    this.prefix = `${config.REDIS_PREFIX}push-delivered:`;
  }

  /** The notifier's own Redis connection, for readiness. */
  get connection(): RedisClient {
    return this.redis;
  }

  async delivered(pushId: string): Promise<boolean> {
    return (await this.redis.exists(this.prefix + pushId)) === 1;
  }

  async mark(pushId: string, untilMs: number): Promise<void> {
    await this.redis.set(this.prefix + pushId, '1', 'PX', Math.max(1000, untilMs - Date.now()));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => undefined);
  }
}
