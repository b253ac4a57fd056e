import type { INestApplicationContext } from '@nestjs/common';
import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { Cluster } from 'ioredis';
import { hostname } from 'node:os';
import type { Server, ServerOptions } from 'socket.io';
import { MAX_SOCKET_MESSAGE_BYTES } from '#contracts';
import { type RedisClient, createRedis, onCluster } from '#infra';
import type { GatewayConfig } from '../config/gateway.config.js';
import { DispatchingIoAdapter } from './dispatching-io.adapter.js';

const SUBSCRIBED_POLL_MS = 50;

const ready = (redis: RedisClient) =>
  redis.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => redis.once('ready', () => resolve()));

/**
 * Socket.IO over the Redis pub/sub adapter, so rooms and broadcasts span every gateway node. On a
 * Redis Cluster, the sharded adapter (Redis 7 SPUBLISH/SSUBSCRIBE): classic PUBLISH is copied to
 * every node of a cluster, while a sharded channel lives on the one master that owns its slot, and
 * each room (a device, a user) is a channel of its own that only the nodes holding it subscribe to.
 * Server-side emits ('carrier:superseded') travel on the namespace's main channel, which every node
 * subscribes to at start, as on the classic adapter.
 * maxHttpBufferSize matches the largest legal message (an SDP) so oversized frames are cut early.
 */
export class RedisIoAdapter extends DispatchingIoAdapter {
  private readonly pub: RedisClient;
  private readonly sub: RedisClient;
  private server: Server | null = null;
  private subscriberId: string | null = null;

  constructor(
    app: INestApplicationContext,
    private readonly config: GatewayConfig,
  ) {
    super(app);
    this.pub = createRedis(config, 'gateway-io-pub', { maxRetriesPerRequest: null });
    // On a cluster the subscriber is a connection per master; a name of its own finds them all.
    this.sub =
      this.pub instanceof Cluster
        ? createRedis(config, `gateway-io-sub:${hostname()}:${process.pid}`, { maxRetriesPerRequest: null }, 'sharded-subscriber')
        : this.pub.duplicate({ connectionName: 'gateway-io-sub' });
  }

  /**
   * Before the server exists (Nest's documented order): the adapter then subscribes on a ready
   * connection instead of through ioredis' offline queue.
   */
  async connectToRedis(): Promise<void> {
    await Promise.all([ready(this.pub), ready(this.sub)]);
    if (!(this.sub instanceof Cluster)) this.subscriberId = String(await this.sub.client('ID'));
  }

  /**
   * Resolves once Redis holds this node's subscriptions: one pattern per namespace, or on a cluster
   * two sharded channels per namespace (its broadcasts and this node's responses). Under load a
   * node could start listening without them and then never hear another node's broadcasts (a call
   * whose relays from the peer's node all vanished), so the node does not listen until they hold.
   */
  async subscribed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [held, needed] = await this.subscriptions();
      if (this.server && held >= needed) return;
      if (Date.now() > deadline)
        throw new Error(`the Socket.IO adapter's Redis subscriptions are not in place after ${timeoutMs} ms (${held} of ${needed})`);
      await new Promise((r) => setTimeout(r, SUBSCRIBED_POLL_MS));
    }
  }

  private async subscriptions(): Promise<[held: number, needed: number]> {
    const namespaces = this.server?._nsps.size ?? 0;
    if (!(this.sub instanceof Cluster)) {
      const line = this.subscriberId ? String(await this.pub.client('LIST', 'ID', this.subscriberId)) : '';
      return [Number(/ psub=(\d+)/.exec(line)?.[1] ?? 0), namespaces];
    }
    const name = ` name=ioredis-cluster(ssubscriber):${this.sub.options.redisOptions?.connectionName} `;
    const lists = await Promise.all((this.pub as Cluster).nodes('master').map((node) => node.client('LIST')));
    const held = lists
      .flatMap((list) => String(list).split('\n'))
      .filter((line) => line.includes(name))
      .reduce((sum, line) => sum + Number(/ ssub=(\d+)/.exec(line)?.[1] ?? 0), 0);
    return [held, 2 * namespaces];
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const origins = this.config.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    const server: Server = super.createIOServer(port, {
      ...options,
      // WebSocket only: the nodes share rooms through Redis without sticky sessions, so a polling
      // client's requests would land on different nodes. Refused at once (400) instead of failing later.
      transports: ['websocket'],
      maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
      pingInterval: this.config.PING_INTERVAL_MS,
      pingTimeout: this.config.PING_TIMEOUT_MS,
      ...(origins.length ? { cors: { origin: origins } } : {}),
    } as ServerOptions);
    const key = `${this.config.REDIS_PREFIX}socket.io`;
    server.adapter(
      onCluster(this.config)
        ? createShardedAdapter(this.pub, this.sub, { channelPrefix: key })
        : createAdapter(this.pub, this.sub, { key, publishOnSpecificResponseChannel: true }),
    );
    this.server = server;
    return server;
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    await Promise.all([this.pub.quit(), this.sub.quit()]).catch(() => undefined);
  }
}
