import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** Where an app's Redis is: one server, or the seed nodes of a Redis Cluster (see REDIS_CLUSTER_NODES). */
export interface RedisTarget {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES: string[];
}

/** A connection to either topology; both speak the same commands, a cluster routes each by its key's slot. */
export type RedisClient = Redis | Cluster;

export const onCluster = (target: RedisTarget): boolean => target.REDIS_CLUSTER_NODES.length > 0;

/**
 * What a connection is for, which matters on a cluster only. `commands`: commands issued in the same
 * tick are pipelined per master (ioredis auto-pipelining), which keeps `runEach` at one round trip
 * per master. `blocking` (BRPOPLPUSH and the like) must not be: a blocked command would hold up the
 * commands batched behind it. `sharded-subscriber` (SSUBSCRIBE) keeps one more connection to every
 * master, so only a client that needs it asks for it.
 */
export type RedisUse = 'commands' | 'blocking' | 'sharded-subscriber';

/** A named connection; the name shows in CLIENT LIST, which helps when chasing leaks. */
export function createRedis(target: RedisTarget, name: string, options: RedisOptions = {}, use: RedisUse = 'commands'): RedisClient {
  const redisOptions: RedisOptions = { connectionName: name, maxRetriesPerRequest: 3, ...options };
  if (!onCluster(target)) return new Redis(target.REDIS_URL, redisOptions);
  const seeds = target.REDIS_CLUSTER_NODES.map((u) => new URL(u));
  const first = seeds[0]!;
  return new Cluster(
    seeds.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
    {
      enableAutoPipelining: use === 'commands',
      shardedSubscribers: use === 'sharded-subscriber',
      redisOptions: {
        ...redisOptions,
        ...(first.username ? { username: decodeURIComponent(first.username) } : {}),
        ...(first.password ? { password: decodeURIComponent(first.password) } : {}),
        ...(first.protocol === 'rediss:' ? { tls: {} } : {}),
      },
    },
  );
}

export type RedisCommand = [name: string, ...args: (string | number)[]];

/**
 * Independent commands whose keys may lie in different slots, in one round trip per server: a
 * pipeline on a single Redis; on a cluster, where a pipeline must stay on one master, each command
 * alone and auto-pipelining groups them. Results in order; the first failure rejects.
 */
export async function runEach(redis: RedisClient, commands: RedisCommand[]): Promise<unknown[]> {
  if (commands.length === 0) return [];
  if (redis instanceof Cluster) return Promise.all(commands.map(([name, ...args]) => redis.call(name, ...args)));
  const results = (await redis.pipeline(commands).exec()) ?? [];
  const failed = results.find(([error]) => error);
  if (failed) throw failed[0];
  return results.map(([, value]) => value);
}
