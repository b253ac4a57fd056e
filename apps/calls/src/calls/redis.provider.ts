import type { Provider } from '@nestjs/common';
import { type RedisClient, createRedis } from '#infra';
import { CALLS_CONFIG, type CallsConfig } from '../config/calls.config.js';

export const REDIS = Symbol('REDIS');

/** One shared command connection for publishing call events and health checks. */
export const redisProvider: Provider<RedisClient> = {
  provide: REDIS,
  inject: [CALLS_CONFIG],
  useFactory: (config: CallsConfig) => createRedis(config, 'calls'),
};
