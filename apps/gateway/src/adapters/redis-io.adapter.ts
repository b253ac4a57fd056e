import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Server, ServerOptions } from 'socket.io';
import { MAX_SOCKET_MESSAGE_BYTES } from '#contracts';
import { createRedis } from '#infra';
import type { GatewayConfig } from '../config/gateway.config.js';

/**
 * Socket.IO over the Redis pub/sub adapter, so rooms and broadcasts span every gateway node.
 * maxHttpBufferSize matches the largest legal message (an SDP) so oversized frames are cut early.
 */
export class RedisIoAdapter extends IoAdapter {
  private readonly pub: Redis;
  private readonly sub: Redis;

  constructor(
    app: INestApplicationContext,
    private readonly config: GatewayConfig,
  ) {
    super(app);
    this.pub = createRedis(config.REDIS_URL, 'gateway-io-pub', { maxRetriesPerRequest: null });
    this.sub = this.pub.duplicate({ connectionName: 'gateway-io-sub' });
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const origins = this.config.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    const server: Server = super.createIOServer(port, {
      ...options,
      maxHttpBufferSize: MAX_SOCKET_MESSAGE_BYTES,
      pingInterval: this.config.PING_INTERVAL_MS,
      pingTimeout: this.config.PING_TIMEOUT_MS,
      ...(origins.length ? { cors: { origin: origins } } : {}),
    } as ServerOptions);
    server.adapter(
      createAdapter(this.pub, this.sub, { key: `${this.config.REDIS_PREFIX}socket.io`, publishOnSpecificResponseChannel: true }),
    );
    return server;
  }

  override async close(server: Server): Promise<void> {
    await super.close(server);
    await Promise.all([this.pub.quit(), this.sub.quit()]).catch(() => undefined);
  }
}
