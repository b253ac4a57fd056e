import { Redis, type RedisOptions } from 'ioredis';

/** A named ioredis connection; the name shows in CLIENT LIST, which helps when chasing leaks. */
export function createRedis(url: string, name: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { connectionName: name, maxRetriesPerRequest: 3, ...options });
}
