import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { PrivateRedis } from './private-redis.js';

const READY_TIMEOUT_MS = 15_000;
/** Short, so a cluster that cannot form says so within the suite's timeout. */
const NODE_TIMEOUT_MS = 2_000;

/**
 * A Redis Cluster of the suite's own: `masters` redis-servers in cluster mode on free loopback
 * ports, no replicas, slots split evenly by `redis-cli --cluster create`. Nothing is persisted, and
 * stop (or a failed start) leaves no process and no directory behind.
 */
export class PrivateRedisCluster {
  private constructor(readonly nodes: PrivateRedis[]) {}

  /** Seed URLs, as REDIS_CLUSTER_NODES takes them. */
  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  static async start(masters = 3): Promise<PrivateRedisCluster> {
    const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(NODE_TIMEOUT_MS)];
    // allSettled, not all: the servers that did start must be stopped when another one failed.
    const started = await Promise.allSettled(Array.from({ length: masters }, () => PrivateRedis.start(args)));
    const cluster = new PrivateRedisCluster(started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
    try {
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw failed.reason;
      const addresses = cluster.nodes.map((n) => `127.0.0.1:${n.port}`);
      await promisify(execFile)('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
        timeout: READY_TIMEOUT_MS,
      });
      await cluster.waitUntilFormed();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }

  /** Every node must say so: a client that asks one still learning the slots would be sent astray. */
  private async waitUntilFormed(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    const clients = this.nodes.map((n) => new Redis(n.url, { lazyConnect: true, maxRetriesPerRequest: 0 }));
    try {
      for (;;) {
        const states = await Promise.all(clients.map((c) => c.cluster('INFO').catch(() => '')));
        if (states.every((info) => /cluster_state:ok/.test(info))) return;
        if (Date.now() > deadline)
          throw new Error(`Redis Cluster did not reach cluster_state:ok in ${READY_TIMEOUT_MS} ms:\n${states.join('\n')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      clients.forEach((c) => c.disconnect());
    }
  }
}
