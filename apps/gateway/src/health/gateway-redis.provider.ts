import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { createRedis } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';

export const GATEWAY_REDIS = Symbol('GATEWAY_REDIS');

/** A plain command connection for health checks; closed with the app. */
export const gatewayRedisProvider: Provider<Redis & OnApplicationShutdown> = {
  provide: GATEWAY_REDIS,
  inject: [GATEWAY_CONFIG],
  useFactory: (config: GatewayConfig) => {
    const redis = createRedis(config.REDIS_URL, 'gateway');
    return Object.assign(redis, { onApplicationShutdown: async () => void (await redis.quit().catch(() => undefined)) });
  },
};
