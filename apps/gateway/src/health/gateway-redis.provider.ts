import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import { type RedisClient, createRedis } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';

export const GATEWAY_REDIS = Symbol('GATEWAY_REDIS');

/** A plain command connection for health checks; closed with the app. */
export const gatewayRedisProvider: Provider<RedisClient & OnApplicationShutdown> = {
  provide: GATEWAY_REDIS,
  inject: [GATEWAY_CONFIG],
  useFactory: (config: GatewayConfig) => {
    const redis = createRedis(config, 'gateway');
    return Object.assign(redis, { onApplicationShutdown: async () => void (await redis.quit().catch(() => undefined)) });
  },
};
