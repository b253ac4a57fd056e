import { BullModule } from '@nestjs/bull';
import type { DynamicModule } from '@nestjs/common';
import { Cluster } from 'ioredis';
import { bullPrefix } from './bull-prefix.js';
import { type RedisClient, type RedisTarget, createRedis, onCluster } from './redis.js';

/**
 * Every app's Bull connection: the shared Redis, under `bullPrefix`. A cluster client holds a connection to every master, so the queues
 * share one command client and one subscriber (Bull's documented reuse pattern); only the blocking
 * client is per queue. Blocking and subscriber clients must neither retry commands nor wait for a
 * ready check (Bull refuses them otherwise).
 */
export const bullRoot = (config: RedisTarget & { REDIS_PREFIX: string }): DynamicModule => {
  if (!onCluster(config)) return BullModule.forRoot({ redis: config.REDIS_URL, prefix: bullPrefix(config.REDIS_PREFIX, false) });
  const unretried = { maxRetriesPerRequest: null, enableReadyCheck: false };
  let client: RedisClient | undefined;
  let subscriber: RedisClient | undefined;
  return BullModule.forRoot({
    prefix: bullPrefix(config.REDIS_PREFIX, true),
    createClient: (type) => {
      if (type === 'bclient') return createRedis(config, 'bull-bclient', unretried, 'blocking') as Cluster;
      if (type === 'subscriber') return (subscriber ??= createRedis(config, 'bull-subscriber', unretried)) as Cluster;
      return (client ??= createRedis(config, 'bull-client')) as Cluster;
    },
  });
};
