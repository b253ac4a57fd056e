import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { PRESENCE_REFRESH_MS, PRESENCE_TTL_MS, presenceKey } from '#contracts';
import { type RedisClient, type RedisCommand, runEach } from '#infra';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway.config.js';
import { GATEWAY_REDIS } from '../health/gateway-redis.provider.js';
import { type SignalingNamespace, type SignalingSocket, sameDeviceSockets } from './signaling-socket.js';

/**
 * Publishes which devices hold a live socket and whether their app is in the foreground, for the
 * calls app's push rule. Entries expire unless refreshed, so a crashed node's sockets vanish by
 * themselves within PRESENCE_TTL_MS.
 */
@Injectable()
export class PresenceService implements OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(GATEWAY_REDIS) private readonly redis: RedisClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  start(ns: SignalingNamespace): void {
    this.timer = setInterval(() => void this.refreshAll(ns), PRESENCE_REFRESH_MS).unref();
  }

  async announce(socket: SignalingSocket): Promise<void> {
    const { userId, deviceId, appState } = socket.data;
    await this.redis.set(presenceKey(this.config.REDIS_PREFIX, userId, deviceId), appState, 'PX', PRESENCE_TTL_MS);
  }

  async withdraw(ns: SignalingNamespace, socket: SignalingSocket): Promise<void> {
    const { userId, deviceId } = socket.data;
    const others = sameDeviceSockets(ns, socket);
    if (others.length > 0) return this.announce(others[0]!);
    await this.redis.del(presenceKey(this.config.REDIS_PREFIX, userId, deviceId));
  }

  private async refreshAll(ns: SignalingNamespace): Promise<void> {
    const entries: RedisCommand[] = [];
    for (const socket of ns.sockets.values())
      if (socket.data.userId)
        entries.push([
          'set',
          presenceKey(this.config.REDIS_PREFIX, socket.data.userId, socket.data.deviceId),
          socket.data.appState,
          'PX',
          PRESENCE_TTL_MS,
        ]);
    await runEach(this.redis, entries).catch(() => undefined);
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
